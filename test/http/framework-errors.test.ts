// Every 4xx/5xx is problem+json, including what Fastify and Node's HTTP parser raise before routing, and a
// 500 carries no internals — neither in its body nor, for a user's profile values, in the logs.
import { connect } from 'node:net'
import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore, type Store } from '../../src/storage/index.js'
import { ADMIN_TOKEN, admin, build, type TestContext, tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertProblem } from '../helpers/problem.js'

interface RawResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Sends `request` byte for byte on a fresh socket and reads the answer until the server closes it. */
function rawRequest(port: number, request: string | Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request))
    const chunks: Buffer[] = []
    socket.on('data', (d: Buffer) => chunks.push(d))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
  })
}

t.test('errors raised before routing and by the HTTP parser answer problem+json over a real socket', async (tt) => {
  const { app } = await build(tt)
  await createPartner(app, { id: 'acme', jwtPublicKey: makeKey('framework').spkiPem })
  const apiKey = await createApiKey(app, 'acme')
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const key = `Authorization: Bearer ${apiKey}\r\n`
  const adminAuth = `Authorization: Bearer ${ADMIN_TOKEN}\r\n`
  const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: localhost\r\n${key}${extra}Connection: close\r\n\r\n`
  const post = (headers: string, body: string) =>
    `POST /admin/partners HTTP/1.1\r\nHost: localhost\r\n${adminAuth}${headers}Connection: close\r\n\r\n${body}`
  const cases: [what: string, request: string, status: number, code: string][] = [
    ['bad percent-encoding in the path', get('/integrations/users/%E0%A4%A'), 400, 'invalid_request'],
    ['a lone surrogate, percent-encoded', get('/integrations/users/%ED%A0%80'), 400, 'invalid_request'],
    ['bad percent-encoding on an unknown route', get('/nowhere/%E0%A4%A'), 400, 'invalid_request'],
    ['a path segment beyond the router limit', get(`/integrations/users/${'a'.repeat(5000)}`), 414, 'invalid_request'],
    ['an invalid character in a header value', get('/integrations/users/x', 'X-Bad: a\x01b\r\n'), 400, 'invalid_request'],
    ['a space in a header name', get('/integrations/users/x', 'X Bad: ab\r\n'), 400, 'invalid_request'],
    ['headers larger than the server accepts', get('/healthz', `X-Big: ${'a'.repeat(20_000)}\r\n`), 431, 'invalid_request'],
    ['an unsupported content type', post('Content-Type: text/plain\r\nContent-Length: 2\r\n', 'hi'), 415, 'invalid_request'],
    ['JSON with bad syntax', post('Content-Type: application/json\r\nContent-Length: 2\r\n', '{x'), 400, 'invalid_request'],
    ['a body over 64 KiB', post('Content-Type: application/json\r\nContent-Length: 70000\r\n', `"${'a'.repeat(69_998)}"`), 413, 'payload_too_large'],
    ['an unknown route', get('/nowhere'), 404, 'not_found'],
    ['a Content-Length that is not a number', post('Content-Type: application/json\r\nContent-Length: abc\r\n', '{}'), 400, 'invalid_request'],
    ['two different Content-Lengths', post('Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n', '{}'), 400, 'invalid_request'],
    ['a malformed chunked body', post('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', 'zz\r\n'), 400, 'invalid_request'],
    ['a malformed request line', 'HELLO\r\n\r\n', 400, 'invalid_request'],
    ['an unknown method token', 'BREW /pot HTTP/1.1\r\nHost: localhost\r\n\r\n', 400, 'invalid_request'],
  ]
  for (const [what, request, status, code] of cases) {
    const res = await rawRequest(port, request)
    tt.equal(res.status, status, `${what}: status`)
    tt.match(res.headers['content-type'], /^application\/problem\+json(;|$)/, `${what}: content-type`)
    let body: { status?: number; code?: string; title?: string; detail?: string } = {}
    try {
      body = JSON.parse(res.body)
    } catch {
      tt.fail(`${what}: body is not JSON: ${res.body.slice(0, 200)}`)
    }
    tt.equal(body.code, code, `${what}: code`)
    tt.equal(body.status, status, `${what}: body status`)
    tt.type(body.detail, 'string', `${what}: detail`)
  }
  tt.equal((await rawRequest(port, get('/healthz'))).status, 200, 'the server still answers')
})

t.test('a 500 carries the generic internal problem, never the thrown error', async (tt) => {
  const { app } = await build(tt)
  app.get('/boom', async () => {
    throw new Error('connection to 10.0.0.5 refused; see /srv/gatehouse/db.ts')
  })
  app.get('/boom-with-status', async () => {
    throw Object.assign(new Error('upstream said: secret-ish detail'), { statusCode: 502, code: 'EUPSTREAM' })
  })
  app.get('/boom-not-an-error', async () => {
    throw 'a bare string with internals'
  })
  for (const url of ['/boom', '/boom-with-status', '/boom-not-an-error']) {
    const res = await app.inject({ method: 'GET', url })
    const body = assertProblem(tt, res, 500, 'internal', url)
    tt.same(Object.keys(body).sort(), ['code', 'detail', 'status', 'title', 'type'], `${url}: only the problem members`)
    tt.equal(body.detail, 'an internal error occurred; it has been logged', `${url}: generic detail`)
    for (const leak of ['10.0.0.5', 'db.ts', 'secret-ish', 'internals', 'stack', '    at ']) tt.notOk(res.body.includes(leak), `${url}: no "${leak}"`)
  }
})

/** An app on a fresh SQLite file whose every log line (level trace) is captured in `lines`. */
async function buildLoggingEverything(tt: TestContext): Promise<{ app: FastifyInstance; store: Store; lines: string[] }> {
  const lines: string[] = []
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString())
      done()
    },
  })
  const config = loadConfig({ DATABASE_URL: tempDbPath(tt), ADMIN_TOKEN, LOG_LEVEL: 'trace' })
  const store = await openStore(config.database)
  const app = await buildApp({ config, store, logger: { level: 'trace', stream } })
  tt.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { app, store, lines }
}

t.test('an unhandled driver error is logged without the values of its query', async (tt) => {
  const { app, store, lines } = await buildLoggingEverything(tt)
  await createPartner(app, { id: 'acme', jwtPublicKey: makeKey('logs').spkiPem })
  const apiKey = await createApiKey(app, 'acme')
  const profile = { email: 'alice.liddell@example.com', displayName: 'Alice Liddell', phone: '+15550100777' }
  // What drizzle throws when a query fails: the SQL, then its parameters, and the driver's error as the cause.
  class DrizzleQueryError extends Error {
    constructor(
      readonly query: string,
      readonly params: unknown[],
      cause: unknown,
    ) {
      super(`Failed query: ${query}\nparams: ${params.join(',')}`, { cause })
    }
  }
  // A driver error names the constraint in its message and may quote the values elsewhere (PostgreSQL's `detail`).
  const driverError = Object.assign(new Error('UNIQUE constraint failed: users.email'), {
    code: 'SQLITE_CONSTRAINT_UNIQUE',
    detail: `Key (email)=(${profile.email}) already exists.`,
  })
  store.users.upsert = async () => {
    throw new DrizzleQueryError('insert into "users" ("email", "display_name", "phone") values (?, ?, ?)', Object.values(profile), driverError)
  }
  const res = await app.inject({
    method: 'POST',
    url: '/integrations/users',
    headers: { authorization: `Bearer ${apiKey}` },
    payload: { externalUserId: 'alice', ...profile },
  })
  assertProblem(tt, res, 500, 'internal')
  const logged = lines.join('')
  const errorLine = lines.find((l) => l.includes('unhandled error'))
  tt.ok(errorLine, 'the error is logged')
  tt.match(JSON.parse(errorLine ?? '{}'), { error: { type: 'Error', message: /^Failed query: insert into "users"/, stack: /^\s+at / } }, 'with its query and frames')
  tt.match(
    JSON.parse(errorLine ?? '{}'),
    { error: { cause: { code: 'SQLITE_CONSTRAINT_UNIQUE', message: 'UNIQUE constraint failed: users.email' } } },
    'and its cause',
  )
  for (const value of Object.values(profile)) tt.notOk(logged.includes(value), `no "${value}" anywhere in the logs`)
  tt.notOk(logged.includes('alice.liddell'), 'not even part of the email')
})

t.test('a malformed request is logged by its parser code only, never with its raw bytes', async (tt) => {
  const { app, lines } = await buildLoggingEverything(tt)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const res = await rawRequest(port, `GET /admin/partners HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nX-Bad: \x01\r\n\r\n`)
  tt.equal(res.status, 400)
  const logged = lines.join('')
  tt.match(logged, /client error/, 'the client error is logged')
  tt.notOk(logged.includes(ADMIN_TOKEN), 'without the Authorization header it carried')
  tt.equal((await app.inject({ method: 'GET', url: '/admin/partners', headers: admin })).statusCode, 200)
})
