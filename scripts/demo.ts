// `npm run demo`: a whole integration on loopback, step by step, each with its curl equivalent and the answer.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { npmStartSteps } from './npm-start-steps.js'
import { startDevJwksServer } from '../src/cli/dev-jwks-server.js'
import { devKeyPaths, generateDevKey, mintDevToken, writeDevKeyFiles } from '../src/cli/dev-keys.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const ISSUER = 'https://auth.acme.example'
const AUDIENCE = 'gatehouse'

/** An answer the demo did not expect: the demo stops and exits non-zero. */
class DemoFailure extends Error {}

const out = (line = '') => process.stdout.write(`${line}\n`)

/** Pretty JSON, indented, with long strings (keys, tokens) shortened so the transcript stays readable. */
function showJson(value: unknown): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'string' && v.length > 90 ? `${v.slice(0, 40)}…${v.slice(-12)}` : v), 2)
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n')
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

interface Gatehouse {
  url: string
  child: ChildProcess
  output(): string
  exited: Promise<number | null>
}

async function startGatehouse(env: Record<string, string>): Promise<Gatehouse> {
  const port = await freePort()
  // `npm run demo` has built dist/ already; the server starts as `npm start` starts it.
  const child = spawn(process.execPath, npmStartSteps().server, {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    if (child.exitCode !== null) throw new DemoFailure(`Gatehouse exited at start-up:\n${output}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new DemoFailure(`Gatehouse did not answer /healthz within 20 s:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return { url, child, output: () => output, exited }
}

interface Call {
  method: 'GET' | 'POST'
  path: string
  /** Shell variable holding the bearer credential, and its value. */
  auth?: { variable: string; value: string }
  body?: unknown
  /** Shown in the curl line instead of the literal body (e.g. a token held in a variable). */
  curlBody?: string
  expect: number
  /** Show these response headers. */
  headers?: string[]
  /** What of the answer to print, when not all of it. */
  show?: (body: never) => unknown
}

function curlFor(call: Call): string {
  const parts = ['curl -sS']
  if (call.method !== 'GET') parts.push(`-X ${call.method}`)
  parts.push(`"$GH${call.path}"`)
  if (call.auth) parts.push(`-H "Authorization: Bearer $${call.auth.variable}"`)
  if (call.body !== undefined) parts.push("-H 'content-type: application/json'", `-d ${call.curlBody ?? shellQuote(JSON.stringify(call.body))}`)
  return `$ ${parts.join(' ')}`
}

function createCaller(baseUrl: string) {
  return async function call<T = Record<string, unknown>>(c: Call): Promise<T> {
    out(curlFor(c))
    const headers: Record<string, string> = {}
    if (c.auth) headers.authorization = `Bearer ${c.auth.value}`
    if (c.body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(`${baseUrl}${c.path}`, { method: c.method, headers, body: c.body === undefined ? undefined : JSON.stringify(c.body) })
    const text = await res.text()
    out(`← ${res.status} ${res.statusText}`)
    for (const h of c.headers ?? []) if (res.headers.has(h)) out(`  ${h}: ${res.headers.get(h)}`)
    let parsed: unknown = text
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      parsed = JSON.parse(text)
      out(showJson(c.show && res.status === c.expect ? c.show(parsed as never) : parsed))
    }
    if (res.status !== c.expect) throw new DemoFailure(`${c.method} ${c.path}: expected ${c.expect}, got ${res.status}: ${text.slice(0, 500)}`)
    return parsed as T
  }
}

function expect(condition: boolean, what: string): void {
  if (!condition) throw new DemoFailure(what)
}

let stepNumber = 0
function step(title: string, why?: string): void {
  out()
  out(`━━ ${++stepNumber}. ${title}`)
  if (why) out(`   ${why}`)
}

async function runDemo(dir: string, cleanups: (() => unknown)[]): Promise<void> {
  out('Gatehouse demo: a partner, its JWKS, a webview user and a partner backend, all on 127.0.0.1.')

  // The partner's side: a key pair and a JWKS endpoint, as `gatehouse dev keygen` and `dev jwks` make them.
  const key = await generateDevKey({ kid: 'acme-2026-01' })
  const keyFiles = devKeyPaths(dir, 'partner')
  writeDevKeyFiles(key, keyFiles, false)
  const jwks = await startDevJwksServer({ keys: [key.publicJwk] })
  cleanups.push(() => jwks.close())

  const dbPath = join(dir, 'gatehouse.db')
  const adminToken = `gh_admin_${randomBytes(24).toString('base64url')}`
  const env = { DATABASE_URL: dbPath, ADMIN_TOKEN: adminToken, JWKS_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'warn' }

  step('Start the partner JWKS and Gatehouse')
  out(`$ npx gatehouse dev keygen --kid ${key.kid} --out-dir ${dir}`)
  out(`$ npx gatehouse dev jwks --key ${keyFiles.privatePem} &     # → ${jwks.url}`)
  const gatehouse = await startGatehouse(env)
  cleanups.push(async () => {
    if (gatehouse.child.exitCode === null && gatehouse.child.signalCode === null) {
      gatehouse.child.kill('SIGKILL')
      await gatehouse.exited
    }
  })
  out(`$ DATABASE_URL=${dbPath} ADMIN_TOKEN=${adminToken} JWKS_ALLOW_PRIVATE_NETWORK=true npm start &`)
  out(`  Gatehouse answers on ${gatehouse.url} (fresh SQLite database, migrations applied).`)
  out(`$ export GH=${gatehouse.url} ADMIN_TOKEN=${adminToken}`)
  const call = createCaller(gatehouse.url)
  const admin = { variable: 'ADMIN_TOKEN', value: adminToken }

  step('Create the partner record', 'Gatehouse fetches the JWKS once and reports problems as warnings (none here).')
  const partnerBody = { id: 'acme', name: 'Acme Corp', jwtIssuer: ISSUER, jwksUrl: jwks.url, jwtAudience: AUDIENCE }
  out(`  (or: npx gatehouse partners create --id acme --name "Acme Corp" --issuer ${ISSUER} --jwks-url ${jwks.url} --audience ${AUDIENCE})`)
  const partner = await call({ method: 'POST', path: '/admin/partners', auth: admin, body: partnerBody, expect: 201, headers: ['etag'] })
  expect(Array.isArray(partner.warnings) && partner.warnings.length === 0, `the JWKS should have been fetched without warnings: ${JSON.stringify(partner.warnings)}`)

  step("Create the partner's API key", 'The key is shown only in this answer; Gatehouse stores its hash.')
  out('  (or: npx gatehouse api-keys create acme)')
  const apiKey = await call<{ key: string; prefix: string }>({ method: 'POST', path: '/admin/partners/acme/api-keys', auth: admin, expect: 201 })
  expect(typeof apiKey.key === 'string' && apiKey.key.startsWith('gh_pk_'), 'the answer should carry the new key')
  out(`$ export API_KEY=${apiKey.key}`)
  const partnerAuth = { variable: 'API_KEY', value: apiKey.key }

  step('The partner signs a token for its user user-42', 'This is what the partner backend does before opening our webview.')
  const claims = { email: 'ada@example.com', name: 'Ada Lovelace', countryCode: 'gb', locale: 'en-GB' }
  out(
    `$ export JWT=$(npx gatehouse dev mint --key ${keyFiles.privatePem} --iss ${ISSUER} --sub user-42 --aud ${AUDIENCE} --claims ${shellQuote(JSON.stringify(claims))})`,
  )
  const minted = await mintDevToken(key, { iss: ISSUER, sub: 'user-42', aud: AUDIENCE, claims, ttlSeconds: 600 })
  out('  header and payload:')
  out(showJson({ header: minted.header, payload: minted.payload }))

  step('The webview calls GET /me with that token', 'user-42 is unknown, so Gatehouse creates the user just in time from the claims.')
  const me = await call<{ user: { externalUserId: string; provisionedBy: string; countryCode: string | null } }>({
    method: 'GET',
    path: '/me',
    auth: { variable: 'JWT', value: minted.token },
    expect: 200,
  })
  expect(me.user?.externalUserId === 'user-42' && me.user.provisionedBy === 'jit', 'GET /me should answer the JIT-provisioned user-42')

  step('The partner backend upserts another user', '201 when created, 200 when it existed; the country code is stored uppercased.')
  const upserted = await call<{ provisionedBy: string; countryCode: string }>({
    method: 'POST',
    path: '/integrations/users',
    auth: partnerAuth,
    body: { externalUserId: 'user-43', email: 'grace@example.com', displayName: 'Grace Hopper', countryCode: 'us' },
    expect: 201,
  })
  expect(upserted.provisionedBy === 'api' && upserted.countryCode === 'US', 'the upserted user should be provisioned by the API with countryCode US')

  step('An integrator checks an expired token', 'Token checks run every verification step and say which one fails, and why.')
  const now = Math.floor(Date.now() / 1000)
  const expiredClaims = { iat: now - 7200, exp: now - 3600 }
  out(
    `$ export EXPIRED_JWT=$(npx gatehouse dev mint --key ${keyFiles.privatePem} --iss ${ISSUER} --sub user-42 --aud ${AUDIENCE} --claims '{"iat": ${expiredClaims.iat}, "exp": ${expiredClaims.exp}}')`,
  )
  const expired = await mintDevToken(key, { iss: ISSUER, sub: 'user-42', aud: AUDIENCE, claims: expiredClaims, ttlSeconds: 600 })
  const report = await call<{ valid: boolean; code: string; detail: string; checks: { name: string; ok: boolean; detail: string }[] }>({
    method: 'POST',
    path: '/integrations/token-checks',
    auth: partnerAuth,
    body: { token: expired.token },
    curlBody: '"{\\"token\\": \\"$EXPIRED_JWT\\"}"',
    expect: 200,
    show: (body: { checks?: unknown[] }) => ({ ...body, checks: `[${body.checks?.length ?? 0} checks, listed below]` }),
  })
  out('  the checks, in order:')
  for (const c of report.checks ?? []) out(`    ${c.ok ? '✓' : '✗'} ${c.name.padEnd(18)} ${c.detail}`)
  const failing = report.checks?.find((c) => !c.ok)
  expect(report.valid === false && report.code === 'token_expired' && failing !== undefined, 'the token check should fail with token_expired')
  out(`  → invalid: ${report.code} (${failing!.name}: ${failing!.detail})`)

  step('The same expired token on GET /me is refused', 'Every refusal is a 401 problem+json naming the code, also in WWW-Authenticate.')
  const refused = await call<{ code: string }>({
    method: 'GET',
    path: '/me',
    auth: { variable: 'EXPIRED_JWT', value: expired.token },
    expect: 401,
    headers: ['www-authenticate'],
  })
  expect(refused.code === 'token_expired', 'GET /me should refuse the expired token with token_expired')

  step('Metrics highlights (GET /metrics, Prometheus text)')
  out('$ curl -sS "$GH/metrics" | grep -E "^gatehouse_(token_verifications|jit_provisions|jwks_fetches|jwks_key_cache_lookups)_total"')
  const metrics = await (await fetch(`${gatehouse.url}/metrics`)).text()
  const highlights = metrics.split('\n').filter((l) => /^gatehouse_(token_verifications|jit_provisions|jwks_fetches|jwks_key_cache_lookups)_total/.test(l))
  for (const line of highlights) out(`    ${line}`)
  expect(/^gatehouse_jit_provisions_total 1$/m.test(metrics), 'metrics should count one JIT provisioning')
  expect(/gatehouse_token_verifications_total\{[^}]*code="token_expired"/.test(metrics), 'metrics should count the token_expired refusal')

  step('Stop Gatehouse and the JWKS server')
  gatehouse.child.kill('SIGTERM')
  const code = await gatehouse.exited
  expect(code === 0, `Gatehouse should exit 0 on SIGTERM, exited ${code}:\n${gatehouse.output()}`)
  await jwks.close()
  out('  Gatehouse stopped (exit 0); JWKS server closed.')
  out()
  out('Demo complete: every step answered as expected.')
}

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-demo-'))
  const cleanups: (() => unknown)[] = []
  const cleanUp = async () => {
    for (const fn of cleanups.reverse()) await Promise.resolve(fn()).catch(() => undefined)
    cleanups.length = 0
    rmSync(dir, { recursive: true, force: true })
  }
  process.once('SIGINT', () => {
    void cleanUp().then(() => process.exit(130))
  })
  try {
    await runDemo(dir, cleanups)
    return 0
  } catch (err) {
    out()
    const message = err instanceof DemoFailure ? err.message : `unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`
    process.stderr.write(`✗ Demo failed at step ${stepNumber}: ${message}\n`)
    return 1
  } finally {
    await cleanUp()
  }
}

process.exitCode = await main()
