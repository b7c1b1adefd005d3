// Console sessions and headers without a browser: cookie attributes, CSRF, the session guard, secret rotation
// across two instances on one database, the failed sign-in budget, and the JSON API and /docs left untouched.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { escapeHtml } from '../../src/console/html.js'
import { issueAdminToken } from '../../src/credentials/issue-admin-token.js'
import { ADMIN_TOKEN, admin, build, buildOnDatabase, tempDbPath } from '../helpers/build-app.js'
import { gatehouse } from '../cli/fixtures/run-gatehouse.js'
import { makeKey } from '../helpers/keys.js'

type Cookies = Map<string, string>

function remember(cookies: Cookies, setCookie: string | string[] | undefined): void {
  for (const line of [setCookie ?? []].flat()) {
    const [pair] = line.split(';')
    const at = pair!.indexOf('=')
    const name = pair!.slice(0, at)
    const value = pair!.slice(at + 1)
    if (value === '' || /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line)) cookies.delete(name)
    else cookies.set(name, value)
  }
}

const header = (cookies: Cookies) => [...cookies].map(([k, v]) => `${k}=${v}`).join('; ')

/** A tiny cookie-keeping client for one app. */
function client(app: FastifyInstance, extraHeaders: Record<string, string> = {}) {
  const cookies: Cookies = new Map()
  const request = async (method: 'GET' | 'POST', url: string, form?: Record<string, string>) => {
    const res = await app.inject({
      method,
      url,
      headers: { ...extraHeaders, cookie: header(cookies), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      payload: form ? new URLSearchParams(form).toString() : undefined,
    })
    remember(cookies, res.headers['set-cookie'])
    return res
  }
  const csrfOf = (body: string) => /name="_csrf" value="([^"]+)"/.exec(body)![1]!
  return {
    cookies,
    request,
    csrfOf,
    async signIn(token: string) {
      const form = await request('GET', '/console/sign-in')
      return request('POST', '/console/sign-in', { _csrf: csrfOf(form.body), token })
    },
    /** Posts a form of the page at `pageUrl`, with that page's CSRF token. */
    async post(pageUrl: string, url: string, form: Record<string, string> = {}) {
      const page = await request('GET', pageUrl)
      return request('POST', url, { _csrf: csrfOf(page.body), ...form })
    },
  }
}

t.test('sign-in sets an HttpOnly SameSite=Strict session cookie naming no token; a wrong token is 401 with the problem shown', async (tt) => {
  const { app } = await build(tt, { realClock: true })
  const browser = client(app)
  const wrong = await browser.signIn('not-the-token')
  tt.equal(wrong.statusCode, 401)
  tt.match(wrong.headers['content-type'], /^text\/html/)
  tt.match(wrong.body, /role="alert"[\s\S]*unauthorized[\s\S]*admin token is not valid/)
  tt.notOk(browser.cookies.has('gatehouse_console'))
  const ok = await browser.signIn(ADMIN_TOKEN)
  tt.equal(ok.statusCode, 303)
  tt.equal(ok.headers.location, '/console/partners')
  const setCookie = [ok.headers['set-cookie']].flat().find((c) => c!.startsWith('gatehouse_console='))!
  tt.match(setCookie, /HttpOnly/)
  tt.match(setCookie, /SameSite=Strict/)
  tt.match(setCookie, /Path=\/console/)
  tt.notMatch(setCookie, /Secure/, 'plain http: no Secure attribute')
  const payload = JSON.parse(Buffer.from(browser.cookies.get('gatehouse_console')!.split('.')[1]!, 'base64url').toString())
  tt.equal(payload.sub, 'env')
  tt.equal(payload.exp - payload.iat, 1800, 'a 30-minute session')
  tt.notMatch(JSON.stringify(payload), ADMIN_TOKEN)
  const list = await browser.request('GET', '/console/partners')
  tt.equal(list.statusCode, 200)
  tt.match(list.body, /<h1>Partners<\/h1>/)
})

t.test('the cookie is Secure when the request came over https through a trusted proxy', async (tt) => {
  const { app } = await build(tt, { realClock: true, env: { TRUST_PROXY: 'true' } })
  const browser = client(app, { 'x-forwarded-proto': 'https' })
  const ok = await browser.signIn(ADMIN_TOKEN)
  tt.equal(ok.statusCode, 303)
  const setCookie = [ok.headers['set-cookie']].flat().find((c) => c!.startsWith('gatehouse_console='))!
  tt.match(setCookie, /; Secure/)
})

t.test('every console page but sign-in and its assets needs a session; the guard sends GETs to sign-in and refuses POSTs', async (tt) => {
  const { app } = await build(tt, { realClock: true })
  for (const url of ['/console', '/console/partners', '/console/partners/new', '/console/audit', '/console/users', '/console/partners/x/keys']) {
    const res = await app.inject({ url })
    tt.equal(res.statusCode, 303, url)
    tt.equal(res.headers.location, '/console/sign-in', url)
  }
  const post = await app.inject({ method: 'POST', url: '/console/partners', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'id=x' })
  tt.equal(post.statusCode, 401)
  tt.match(post.body, /unauthorized/)
  for (const url of ['/console/sign-in', '/console/assets/console.css', '/console/assets/console.js']) tt.equal((await app.inject({ url })).statusCode, 200, url)
  const forged = await app.inject({ method: 'POST', url: '/console/sign-in', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `token=${ADMIN_TOKEN}` })
  tt.equal(forged.statusCode, 403, 'a sign-in without the CSRF token is refused')
})

t.test('writes without the CSRF token are refused 403, and change nothing', async (tt) => {
  const { app, store } = await build(tt, { realClock: true })
  const browser = client(app)
  await browser.signIn(ADMIN_TOKEN)
  const res = await browser.request('POST', '/console/partners', { id: 'acme', name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: 'https://acme.example/jwks' })
  tt.equal(res.statusCode, 403)
  tt.match(res.body, /role="alert"[\s\S]*out of date or came from another site/)
  tt.equal(await store.partners.get('acme'), null)
})

t.test('the console shows the admin API field errors beside the fields, with the same messages', async (tt) => {
  const { app } = await build(tt, { realClock: true })
  const browser = client(app)
  await browser.signIn(ADMIN_TOKEN)
  const form = { id: 'A!', name: 'Acme', jwtIssuer: 'https://acme.example', maxTokenLifetimeSeconds: '5', requireIssuedAt: 'on', profileUpdate: 'never' }
  const page = await browser.post('/console/partners/new', '/console/partners', form)
  tt.equal(page.statusCode, 400)
  const api = await app.inject({ method: 'POST', url: '/admin/partners', headers: admin, payload: { id: 'A!', name: 'Acme', jwtIssuer: 'https://acme.example', maxTokenLifetimeSeconds: 5 } })
  tt.equal(api.statusCode, 400)
  for (const error of api.json().errors as { path: string; message: string }[]) {
    tt.ok(page.body.includes(escapeHtml(`${error.path}: ${error.message}`)), `summary lists ${error.path}`)
  }
  tt.match(page.body, /<p class="field-error" id="field-id-error">/)
  tt.match(page.body, /<p class="field-error" id="field-maxTokenLifetimeSeconds-error">/)
  tt.match(page.body, /value="A!"/, 'what was typed stays in the form')
})

t.test('headers: a strict CSP with no inline script or style on console pages; the JSON API and /docs keep theirs', async (tt) => {
  const { app } = await build(tt, { realClock: true })
  const page = await app.inject({ url: '/console/sign-in' })
  const csp = String(page.headers['content-security-policy'])
  tt.match(csp, /default-src 'none'/)
  tt.match(csp, /script-src 'self'(;|$)/)
  tt.match(csp, /style-src 'self'(;|$)/)
  tt.notMatch(csp, /unsafe-inline|unsafe-eval/)
  tt.equal(page.headers['x-frame-options'], 'SAMEORIGIN')
  tt.notMatch(page.body, /<script>|<style|style="/, 'no inline script or style')
  const api = await app.inject({ url: '/admin/partners' })
  tt.equal(api.statusCode, 401)
  tt.match(api.headers['content-type'], /^application\/problem\+json/)
  tt.equal(api.headers['content-security-policy'], undefined)
  const docs = await app.inject({ url: '/docs/' })
  tt.equal(docs.statusCode, 200)
  tt.equal(docs.headers['content-security-policy'], undefined, 'Swagger UI is not under the console CSP')
  const missing = await app.inject({ url: '/console/nope' })
  tt.equal(missing.statusCode, 404, 'an unknown console path is an HTML 404 that shows nothing else')
  tt.match(missing.headers['content-type'], /^text\/html/)
  tt.notMatch(missing.body, /Sign out/)
})

t.test('two instances share the signing secret; rotating it signs everyone out on both; revoking the admin token ends its sessions', async (tt) => {
  const path = tempDbPath(tt)
  const a = await buildOnDatabase(tt, path, { realClock: true })
  const b = await buildOnDatabase(tt, path, { realClock: true })
  const issued = await issueAdminToken(a.store, 'console test', 'cli')
  const browser = client(a.app)
  tt.equal((await browser.signIn(issued.token)).statusCode, 303)
  const payload = JSON.parse(Buffer.from(browser.cookies.get('gatehouse_console')!.split('.')[1]!, 'base64url').toString())
  tt.equal(payload.sub, `admin-token:${issued.id}`)
  const onB = client(b.app)
  onB.cookies.set('gatehouse_console', browser.cookies.get('gatehouse_console')!)
  tt.equal((await onB.request('GET', '/console/partners')).statusCode, 200, 'the session holds on the other instance')

  const rotated = await browser.post('/console/partners', '/console/rotate-secret')
  tt.equal(rotated.statusCode, 303)
  tt.equal((await onB.request('GET', '/console/partners')).headers.location, '/console/sign-in', 'rotation on A ends the session on B')
  tt.notOk(browser.cookies.has('gatehouse_console'), 'rotation clears the cookie of the one who rotated')
  const audit = await a.app.inject({ url: '/admin/audit', headers: admin })
  tt.equal(audit.statusCode, 200)

  tt.equal((await browser.signIn(issued.token)).statusCode, 303)
  tt.equal((await browser.request('GET', '/console/partners')).statusCode, 200)
  await b.store.adminTokens.revoke(issued.id, 'cli')
  const after = await browser.request('GET', '/console/partners')
  tt.equal(after.statusCode, 303)
  tt.equal(after.headers.location, '/console/sign-in')
})

t.test('sign-out clears the cookie; failed sign-ins count against the auth-failure limit', async (tt) => {
  const { app } = await build(tt, { realClock: true, env: { AUTH_FAILURES_PER_MINUTE: '2' } })
  const browser = client(app)
  await browser.signIn(ADMIN_TOKEN)
  const out = await browser.post('/console/partners', '/console/sign-out')
  tt.equal(out.statusCode, 303)
  tt.notOk(browser.cookies.has('gatehouse_console'))
  tt.equal((await browser.request('GET', '/console/partners')).statusCode, 303)
  tt.equal((await browser.signIn('wrong-1')).statusCode, 401)
  tt.equal((await browser.signIn('wrong-2')).statusCode, 401)
  const blocked = await browser.signIn('wrong-3')
  tt.equal(blocked.statusCode, 429)
  tt.match(blocked.body, /rate_limited/)
  tt.ok(Number(blocked.headers['retry-after']) > 0)
  const api = await app.inject({ url: '/admin/partners', headers: { authorization: 'Bearer wrong-4' } })
  tt.equal(api.statusCode, 429, 'the admin API shares the budget')
})

t.test('gatehouse console rotate-secret signs out a running instance', async (tt) => {
  const { app, dbPath } = await build(tt, { realClock: true })
  const browser = client(app)
  await browser.signIn(ADMIN_TOKEN)
  tt.equal((await browser.request('GET', '/console/partners')).statusCode, 200)
  const result = await gatehouse(['console', 'rotate-secret', '--json'], { env: { DATABASE_URL: dbPath } })
  tt.equal(result.code, 0, result.stderr)
  tt.same(JSON.parse(result.stdout), { rotated: true })
  tt.equal((await browser.request('GET', '/console/partners')).headers.location, '/console/sign-in')
})

t.test('saving a static-key partner keeps its key (a browser sends the textarea with CRLF); a delete needs the confirmation', async (tt) => {
  const { app, store } = await build(tt, { realClock: true })
  const pem = makeKey('console-static').spkiPem
  const created = await app.inject({ method: 'POST', url: '/admin/partners', headers: admin, payload: { id: 'acme', name: 'Acme', jwtIssuer: 'https://acme.example', jwtPublicKey: pem } })
  tt.equal(created.statusCode, 201)
  const browser = client(app)
  await browser.signIn(ADMIN_TOKEN)
  const form = {
    name: 'Acme Renamed',
    jwtIssuer: 'https://acme.example',
    jwtPublicKey: pem.replaceAll('\n', '\r\n'),
    maxTokenLifetimeSeconds: '600',
    profileUpdate: 'fillEmpty',
    requiredClaims: 'tenant=blue\r\nplan=gold',
    'claimMapping.email': 'mail',
    version: '1',
  }
  const saved = await browser.post('/console/partners/acme', '/console/partners/acme', form)
  tt.equal(saved.statusCode, 200)
  const stored = await store.partners.get('acme')
  tt.equal(stored?.jwtPublicKey, pem)
  tt.equal(stored?.name, 'Acme Renamed')
  tt.equal(stored?.requireIssuedAt, false, 'an unticked box is false')
  tt.same(stored?.requiredClaims, { tenant: 'blue', plan: 'gold' })
  tt.same(stored?.claimMapping, { email: 'mail' })
  tt.equal(stored?.profileUpdate, 'fillEmpty')
  tt.equal(stored?.maxTokenLifetimeSeconds, 600)

  const cleared = await browser.post('/console/partners/acme', '/console/partners/acme', { ...form, requiredClaims: 'plan=gold', 'claimMapping.email': '', version: '2' })
  tt.equal(cleared.statusCode, 200)
  const after = await store.partners.get('acme')
  tt.same(after?.requiredClaims, { plan: 'gold' }, 'a claim removed from the form is removed')
  tt.equal(after?.claimMapping, null)

  const bad = await browser.post('/console/partners/acme', '/console/partners/acme', { ...form, requiredClaims: 'no equals sign', version: '3' })
  tt.equal(bad.statusCode, 400)
  tt.match(bad.body, /id="field-requiredClaims-error"[\s\S]*line 1: write NAME=VALUE/)

  await store.partners.update('acme', { status: 'disabled' }, { actor: 'test' })
  const unconfirmed = await browser.post('/console/partners/acme', '/console/partners/acme/delete', { version: '4' })
  tt.equal(unconfirmed.statusCode, 400)
  tt.ok(await store.partners.get('acme'), 'not deleted without the confirmation')
  const deleted = await browser.post('/console/partners/acme', '/console/partners/acme/delete', { version: '4', confirm: 'on' })
  tt.equal(deleted.statusCode, 303)
  tt.equal(await store.partners.get('acme'), null)
})
