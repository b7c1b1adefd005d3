// The production runtime: `npm start` runs the compiled dist/ (no tsx at run time), and the built server,
// its migrations and the CLI launcher work from the build alone.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { freePort } from './helpers/child-server.js'
import { waitFor } from './helpers/wait-for.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

function tempDir(tt: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-build-'))
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.before(() => {
  // npm test builds first (pretest); running this file alone needs the build too.
  if (!existsSync(join(ROOT, 'dist', 'server.js'))) throw new Error('dist/ is not built: run `npm run build`')
})

t.test('npm start runs the compiled server and tsx is only a dev dependency', async (tt) => {
  tt.match(pkg.scripts.start, /node [^&]*dist\/server\.js$/)
  tt.notOk(pkg.scripts.start.includes('tsx'), 'no TypeScript loader at run time')
  tt.equal(pkg.dependencies.tsx, undefined)
  tt.ok(pkg.devDependencies.tsx)
})

t.test('the built server starts on a fresh database, applies the migrations and closes on SIGTERM', async (tt) => {
  const dir = tempDir(tt)
  const port = await freePort()
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, PORT: String(port), DATABASE_URL: join(dir, 'g.db'), ADMIN_TOKEN: 'build-test-admin-token-0123', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (d) => (output += d))
  child.stderr.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  tt.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  const url = `http://127.0.0.1:${port}`
  // Polled until the server answers or exits, for at most 30 s (a start on a loaded machine, not a contract time).
  const readyz = async () => (child.exitCode === null ? (await fetch(`${url}/readyz`).catch(() => undefined))?.status : 'exited')
  const ready = await waitFor(readyz, (status) => status === 200 || status === 'exited', 30_000)
  tt.equal(ready, 200, `readyz answers 200 (migrations applied from the build): ${output}`)
  const partners = await fetch(`${url}/admin/partners`, { headers: { authorization: 'Bearer build-test-admin-token-0123' } })
  tt.equal(partners.status, 200)
  child.kill('SIGTERM')
  tt.equal(await exited, 0, 'graceful close exits 0')
})

t.test('the CLI launcher runs from the build', async (tt) => {
  const dir = tempDir(tt)
  const env = { PATH: process.env.PATH, DATABASE_URL: join(dir, 'cli.db') }
  const help = spawnSync(process.execPath, ['bin/gatehouse.js', '--help'], { cwd: ROOT, env, encoding: 'utf8' })
  tt.equal(help.status, 0, help.stderr)
  tt.match(help.stdout, /gatehouse/)
  const migrate = spawnSync(process.execPath, ['bin/gatehouse.js', 'db', 'migrate'], { cwd: ROOT, env, encoding: 'utf8' })
  tt.equal(migrate.status, 0, migrate.stderr)
  tt.match(migrate.stdout, /up to date/)
})
