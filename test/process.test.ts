// The real process: graceful close with a request in flight, logs that never carry a secret (JSON lines on a pipe,
// readable lines on a terminal), and the first-start admin token.
import { spawn, spawnSync } from 'node:child_process'
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { stripVTControlCharacters } from 'node:util'
import t from 'tap'
import { ADMIN_TOKEN, tempDbPath } from './helpers/build-app.js'
import { freePort, startChildServer } from './helpers/child-server.js'
import { startJwksServer } from './helpers/jwks-server.js'
import { makeKey } from './helpers/keys.js'
import { mint } from './helpers/mint.js'
import { waitFor } from './helpers/wait-for.js'

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

t.test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async (tt) => {
  const key = makeKey('graceful')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  // A partner write fetches the JWKS once before answering; the JWKS answer is held until the test releases it,
  // so that request is still in flight when the signal arrives, however slow the machine.
  let jwksAsked: () => void = () => {}
  const asked = new Promise<void>((resolve) => (jwksAsked = resolve))
  let releaseJwks: () => void = () => {}
  const released = new Promise<void>((resolve) => (releaseJwks = resolve))
  jwks.setHandler((_req, res) => {
    jwksAsked()
    void released.then(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] })))
  })
  const server = await startChildServer(tt, { DATABASE_URL: tempDbPath(tt), ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true' })
  const inFlight = fetch(`${server.url}/admin/partners`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ id: 'slow', name: 'Slow', jwtIssuer: 'https://slow.example', jwksUrl: jwks.url }),
  })
  await asked
  tt.equal(jwks.requests, 1, 'the write is waiting on the JWKS when the signal arrives')
  server.child.kill('SIGTERM')
  const accepting = () => fetch(`${server.url}/healthz`).then(() => true, () => false)
  tt.equal(await waitFor(accepting, (yes) => !yes, 10_000), false, 'the closing server refuses new connections while the request is in flight')
  releaseJwks()
  const res = await inFlight
  tt.equal(res.status, 201, 'the in-flight request completed')
  tt.same((await res.json()).warnings, [], 'with its full answer')
  tt.same(await server.exited, { code: 0, signal: null }, 'exit code 0')
  await tt.rejects(fetch(`${server.url}/healthz`), 'no longer accepting connections')
})

t.test('logs never contain a token, an API key, the admin token or a private key', async (tt) => {
  const key = makeKey('logs')
  const server = await startChildServer(tt, { DATABASE_URL: tempDbPath(tt), ADMIN_TOKEN, LOG_LEVEL: 'trace' })
  const created = await fetch(`${server.url}/admin/partners`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ id: 'logs', name: 'Logs', jwtIssuer: 'https://logs.example', jwtPublicKey: key.spkiPem }),
  })
  tt.equal(created.status, 201)
  const apiKey = (await (await fetch(`${server.url}/admin/partners/logs/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()).key
  const token = await mint(key, { iss: 'https://logs.example', sub: 'u' })
  const expired = await mint(key, { iss: 'https://logs.example', sub: 'u' }, { now: Math.floor(Date.now() / 1000) - 7200 })
  const privatePem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()

  tt.equal((await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })).status, 200)
  tt.equal((await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${expired}` } })).status, 401)
  const check = await fetch(`${server.url}/integrations/token-checks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token: expired }),
  })
  tt.equal(check.status, 200)
  const bad = await fetch(`${server.url}/admin/partners/logs`, { method: 'PATCH', headers: adminHeaders, body: JSON.stringify({ jwtPublicKey: privatePem }) })
  tt.equal(bad.status, 400)
  tt.notOk((await bad.text()).includes('PRIVATE KEY-----\n'), 'the error body does not echo the private key')
  tt.equal((await fetch(`${server.url}/integrations/users/u`, { headers: { authorization: `Bearer ${apiKey}x` } })).status, 401)
  tt.equal((await fetch(`${server.url}/admin/partners`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}x` } })).status, 401)

  server.child.kill('SIGTERM')
  await server.exited
  const logs = server.output()
  tt.ok(logs.length > 1000, 'the server did log at trace level')
  // stdout is a pipe here, as under a log collector: one JSON object per line.
  const lines = logs.split('\n').filter((line) => line !== '')
  tt.ok(
    lines.every((line) => {
      try {
        const entry = JSON.parse(line) as { level?: unknown; msg?: unknown }
        return typeof entry.level === 'number' && typeof entry.msg === 'string'
      } catch {
        return false
      }
    }),
    'every line is a JSON log entry',
  )
  for (const [what, secret] of [
    ['token signature', token.split('.')[2]!],
    ['expired token signature', expired.split('.')[2]!],
    ['token payload', token.split('.')[1]!],
    ['API key', apiKey.slice(10)],
    ['admin token', ADMIN_TOKEN],
    ['private key', privatePem.split('\n')[1]!],
  ] as const) {
    tt.notOk(logs.includes(secret), `no ${what} in the logs`)
  }
})

t.test('first start with stdout not a terminal: the admin token goes to an owner-only file, never to the output', async (tt) => {
  const dbPath = tempDbPath(tt)
  const server = await startChildServer(tt, { DATABASE_URL: dbPath, ADMIN_TOKEN: '', LOG_LEVEL: 'trace' })
  const file = join(dirname(dbPath), 'admin-token')
  const stat = statSync(file)
  tt.equal(stat.mode & 0o777, 0o600, 'readable and writable by its owner only')
  const token = readFileSync(file, 'utf8').trim()
  tt.match(token, /^gh_admin_[A-Za-z0-9_-]{43}$/)
  const partners = await fetch(`${server.url}/admin/partners`, { headers: { authorization: `Bearer ${token}` } })
  tt.equal(partners.status, 200, 'the token in the file is an admin token')
  server.child.kill('SIGTERM')
  await server.exited
  tt.notOk(server.output().includes(token), 'the token is in neither stdout nor stderr')
  tt.ok(server.output().includes(file), 'the file path is logged')
})

const scriptInstalled = spawnSync('script', ['--version']).status === 0

t.test('stdout a terminal: the logs are readable lines, not JSON, still without secrets', { skip: scriptInstalled ? false : 'util-linux script is not installed' }, async (tt) => {
  const port = await freePort()
  const root = fileURLToPath(new URL('..', import.meta.url))
  // `script` gives the server a pseudo-terminal as stdout and copies what it writes to our pipe.
  const child = spawn('script', ['-qfec', `${process.execPath} --import tsx src/server.ts`, '/dev/null'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: tempDbPath(tt), ADMIN_TOKEN, LOG_LEVEL: 'trace' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  tt.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    return exited
  })
  let raw = ''
  // Colours and the terminal's line endings off, so the text can be read as lines.
  const text = () => stripVTControlCharacters(raw).replace(/\r\n/g, '\n')
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      raw += d
      // The pid is in a readable line's `INFO (pid):`, or in a JSON line's "pid" when the terminal was not detected.
      const line = /^.*Server listening at.*$/m.exec(text())?.[0]
      const pid = line && /INFO \((\d+)\)|"pid":(\d+)/.exec(line)
      if (pid) resolve(pid[1] ?? pid[2]!)
    })
    child.stderr.on('data', (d: Buffer) => {
      raw += d
    })
    child.on('exit', () => reject(new Error(`exited before listening: ${raw}`)))
  })
  const serverPid = Number(await listening)
  const bearer = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0dHkifQ.c2lnbmF0dXJlLW5vdC12YWxpZA'
  tt.equal((await fetch(`http://127.0.0.1:${port}/me`, { headers: { authorization: `Bearer ${bearer}` } })).status, 401)
  tt.equal((await fetch(`http://127.0.0.1:${port}/admin/partners`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 200)
  process.kill(serverPid, 'SIGTERM')
  tt.equal(await exited, 0, 'the server exits 0 on SIGTERM')
  const logs = text()
  tt.match(logs, /^\[[\d:.]+\] INFO \(\d+\): incoming request$/m, 'pino-pretty lines: time, level, pid, message')
  tt.match(logs, /^\s+"url": "\/admin\/partners",?$/m, 'with the request fields indented below')
  tt.notOk(logs.split('\n').some((line) => line.trimStart().startsWith('{"')), 'no JSON log line')
  tt.notOk(logs.includes(ADMIN_TOKEN), 'no admin token')
  tt.notOk(logs.includes(bearer.split('.')[2]!), 'no bearer token')
})
