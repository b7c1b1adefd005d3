// The `gatehouse` command's entry (bin/gatehouse.js runs its compiled form from dist/): process in, exit status out.
import { runCli } from './run-cli.js'

function flush(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write('', () => resolve()))
}

const code = await runCli(process.argv.slice(2), {
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  untilStopped: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve())
      process.once('SIGTERM', () => resolve())
    }),
})
await Promise.all([flush(process.stdout), flush(process.stderr)])
// Exit now rather than waiting on idle sockets or timers left by a library: the command is done.
process.exit(code)
