// Runs the real server (`src/server.ts`) as a child process on a free loopback port, capturing its output.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { fileURLToPath } from 'node:url'
import { waitFor } from './wait-for.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface ChildServer {
  url: string
  child: ChildProcess
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

export async function startChildServer(t: { teardown(fn: () => unknown): void }, env: Record<string, string>): Promise<ChildServer> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => {
    output += d
  })
  child.stderr!.on('data', (d) => {
    output += d
  })
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  )
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  })
  const url = `http://127.0.0.1:${port}`
  // Polled until the server answers or exits, for at most 30 s (a start on a loaded machine, not a contract time).
  const state = async () => (child.exitCode !== null ? 'exited' : (await fetch(`${url}/healthz`).then((r) => (r.ok ? 'up' : 'down'), () => 'down')))
  const started = await waitFor(state, (s) => s !== 'down', 30_000)
  if (started === 'exited') throw new Error(`server exited early: ${output}`)
  if (started !== 'up') throw new Error(`server did not answer /healthz: ${output}`)
  return { url, child, output: () => output, exited }
}
