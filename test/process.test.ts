// The real process: graceful close with a request in flight, logs that never carry a secret, and the first-start admin token.
import { generateKeyPairSync } from 'node:crypto'
import { readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import t from 'tap'
import { ADMIN_TOKEN, tempDbPath } from './helpers/build-app.js'
import { startChildServer } from './helpers/child-server.js'
import { startJwksServer } from './helpers/jwks-server.js'
import { makeKey } from './helpers/keys.js'
import { mint } from './helpers/mint.js'

const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

t.test('SIGTERM: stops accepting, finishes the request in flight, exits 0', async (tt) => {
  const key = makeKey('graceful')
  const jwks = await startJwksServer(tt, [key.publicJwk])
  // A partner write fetches the JWKS once before answering; a slow JWKS keeps that request in flight.
  jwks.setHandler((_req, res) => {
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.publicJwk] })), 1500)
  })
  const server = await startChildServer(tt, { DATABASE_URL: tempDbPath(tt), ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true' })
  const inFlight = fetch(`${server.url}/admin/partners`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ id: 'slow', name: 'Slow', jwtIssuer: 'https://slow.example', jwksUrl: jwks.url }),
  })
  await new Promise((resolve) => setTimeout(resolve, 300))
  tt.equal(jwks.requests, 1, 'the write is waiting on the JWKS when the signal arrives')
  server.child.kill('SIGTERM')
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
