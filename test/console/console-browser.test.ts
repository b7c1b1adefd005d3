// The admin console in a real browser: Debian's Chromium driven by playwright-core against a Gatehouse and a JWKS
// server listening on 127.0.0.1. Each test takes a screenshot of the page it is about: into docs/console/ (the
// README's pictures) when GATEHOUSE_UPDATE_SCREENSHOTS=1, else into a temporary folder, so a test run leaves the
// working tree as it found it.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import t, { type Test } from 'tap'
import { issueAdminToken } from '../../src/credentials/issue-admin-token.js'
import { ADMIN_TOKEN, admin, build, type Built } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createApiKey, createPartner } from '../helpers/partners.js'

const CHROMIUM = '/usr/bin/chromium'
const MISSING = `Chromium not found at ${CHROMIUM}: apt-get install -y chromium`
// CI (.ci/run) sets GATEHOUSE_REQUIRE_BROWSER=1: there a missing browser fails these tests instead of skipping them.
const required = process.env.GATEHOUSE_REQUIRE_BROWSER === '1'
const skip = existsSync(CHROMIUM) || required ? false : MISSING
if (skip) t.comment(`console browser tests skipped: ${MISSING}`)
// Ten flows through a real browser, each launching its own: more than the suite's 120 s per file on a busy machine.
t.setTimeout(300_000)

const SCREENSHOTS = process.env.GATEHOUSE_UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/console/', import.meta.url)) : `${mkdtempSync(join(tmpdir(), 'gatehouse-console-'))}/`
if (!SCREENSHOTS.includes('docs/console')) t.teardown(() => rmSync(SCREENSHOTS, { recursive: true, force: true }))
/**
 * Chromium's own services (component updates, autofill, Google sign-in) reach out even with Playwright's
 * --disable-background-networking. Here every host name resolves to nothing, and every connection except to
 * loopback (which Chromium never proxies) goes to a proxy port on 127.0.0.1 where nothing listens: the browser
 * reaches this test's server and sends nothing else anywhere.
 */
const LOOPBACK_ONLY = ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--proxy-server=http://127.0.0.1:9']
/** A fixed viewport, so the committed screenshots stay comparable from run to run. */
const DESKTOP = { width: 1000, height: 700 }
const key = makeKey('console-k1')

interface Harness extends Built {
  page: Page
  base: string
}

/** Gatehouse on a random 127.0.0.1 port and a fresh Chromium page; all of it closed when the test ends. */
async function harness(tt: Test, viewport = DESKTOP): Promise<Harness> {
  if (!existsSync(CHROMIUM)) throw new Error(`GATEHOUSE_REQUIRE_BROWSER=1 and ${MISSING}`)
  const built = await build(tt, { realClock: true })
  await built.app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(built.app.server.address() as AddressInfo).port}`
  // Chromium's sandbox cannot start as root (CI containers); the pages it loads are this test's own.
  const args = [...LOOPBACK_ONLY, ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])]
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args })
  tt.teardown(() => browser.close())
  const context = await browser.newContext({ viewport, baseURL: base })
  tt.teardown(() => context.close())
  const page = await context.newPage()
  tt.teardown(() => page.close())
  return { ...built, page, base }
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true })
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` })
}

async function signIn(page: Page, token = ADMIN_TOKEN): Promise<void> {
  await page.goto('/console/sign-in')
  await page.getByLabel('Admin token').fill(token)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL('**/console/partners')
}

/** A 127.0.0.1 port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const staticPartner = (app: Built['app'], id = 'acme') => createPartner(app, { id, jwtIssuer: `https://${id}.example`, jwtPublicKey: key.spkiPem })
const nowSeconds = () => Math.floor(Date.now() / 1000)

t.test('sign-in: a wrong token is refused with the problem shown; the right one opens the partners list', { skip }, async (tt) => {
  const { page } = await harness(tt)
  await page.goto('/console/sign-in')
  await screenshot(page, 'sign-in')
  await page.getByLabel('Admin token').fill('not-the-admin-token')
  await page.getByRole('button', { name: 'Sign in' }).click()
  const alert = page.getByRole('alert')
  tt.match(await alert.textContent(), /unauthorized[\s\S]*admin token is not valid/)
  tt.match(page.url(), /\/console\/sign-in$/)
  await signIn(page)
  tt.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Partners')
})

t.test('a JWKS partner: an unreachable URL is warned beside the field; fixed, the key view shows its key', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  const jwks = await startJwksServer(tt, [key.publicJwk])
  const closed = await closedPort()
  await signIn(page)
  await page.getByRole('link', { name: 'New partner' }).click()
  await page.getByLabel('Id', { exact: true }).fill('acme')
  await page.getByLabel('Name', { exact: true }).fill('Acme Corp')
  await page.getByLabel('Issuer (iss)').fill('https://acme.example')
  await page.getByLabel('Audience (aud)').fill('gatehouse')
  await page.getByLabel('JWKS URL').fill(`http://127.0.0.1:${closed}/jwks.json`)
  await page.getByLabel('email from claim').fill('mail')
  await page.getByLabel('Required claims').fill('tenant=blue')
  await page.getByRole('button', { name: 'Create partner' }).click()
  const warnings = page.locator('#field-jwksUrl-warnings')
  tt.match(await warnings.textContent(), /JWKS unreachable/)
  tt.match(await page.getByRole('heading', { level: 1 }).textContent(), /Acme Corp \(acme\)/)
  tt.equal(await page.getByLabel('email from claim').inputValue(), 'mail', 'the claim mapping was stored')
  tt.equal(await page.getByLabel('Required claims').inputValue(), 'tenant=blue')
  await warnings.scrollIntoViewIfNeeded()
  await screenshot(page, 'partner')

  await page.getByLabel('JWKS URL').fill(jwks.url)
  await page.getByRole('button', { name: 'Save changes' }).click()
  await page.waitForSelector('text=version 2')
  tt.equal(await page.locator('#field-jwksUrl-warnings').count(), 0, 'no warning once the JWKS answers')

  await page.getByRole('link', { name: 'Keys', exact: true }).click()
  const keyRow = page.locator('table tbody tr', { hasText: 'console-k1' })
  tt.match(await keyRow.textContent(), /RS256[\s\S]*2048[\s\S]*usable/)
  await page.getByRole('button', { name: 'Refresh keys now' }).click()
  tt.match(await page.locator('table.facts').textContent(), /Fetched at\s*\d{4}-/)
  tt.match(await page.locator('table.facts').textContent(), /Health\s*fresh/)
  await screenshot(page, 'keys')

  await page.getByRole('link', { name: 'Partners' }).click()
  const row = page.locator('table tbody tr', { hasText: 'acme' })
  tt.match(await row.textContent(), /active[\s\S]*JWKS[\s\S]*fresh/)
  await screenshot(page, 'partners')
  const stored = await app.services.store.partners.get('acme')
  tt.equal(stored?.jwksUrl, jwks.url)
})

t.test('an API key is shown once, listed by prefix afterwards, and can be revoked', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  await signIn(page)
  await page.goto('/console/partners/acme/api-keys')
  await page.getByRole('button', { name: 'Create API key' }).click()
  const secret = await page.getByLabel('API key', { exact: true }).inputValue()
  tt.match(secret, /^gh_pk_/)
  tt.ok(await page.getByRole('button', { name: 'Copy' }).isVisible(), 'the copy button appears with the script')
  const works = await app.inject({ url: '/integrations/keys', headers: { authorization: `Bearer ${secret}` } })
  tt.equal(works.statusCode, 200, 'the key shown is the live key')
  await screenshot(page, 'api-keys')

  await page.goto('/console/partners/acme/api-keys')
  tt.equal(await page.getByLabel('API key', { exact: true }).count(), 0, 'never shown again')
  tt.notOk((await page.content()).includes(secret))
  const prefix = (await page.locator('tbody code').first().textContent())!
  tt.ok(secret.startsWith(prefix), 'listed by its prefix')
  await page.getByRole('button', { name: `Revoke ${prefix}` }).click()
  tt.notMatch(await page.locator('tbody tr').first().textContent(), /live/)
  const refused = await app.inject({ url: '/integrations/keys', headers: { authorization: `Bearer ${secret}` } })
  tt.equal(refused.statusCode, 401)
})

t.test('an edit made meanwhile by someone else answers 412 with a plain "changed by someone else" message', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  await signIn(page)
  await page.goto('/console/partners/acme')
  await page.getByLabel('Name', { exact: true }).fill('Acme from the console')
  const patch = await app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { name: 'Acme from the API' } })
  tt.equal(patch.statusCode, 200)
  const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save changes' }).click()])
  tt.equal(response.status(), 412)
  const alert = page.getByRole('alert')
  tt.match(await alert.textContent(), /precondition_failed[\s\S]*changed by someone else — reload/)
  tt.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'Acme from the console', 'what was typed is kept')
  tt.equal((await app.services.store.partners.get('acme'))?.name, 'Acme from the API', 'the other write stands')
})

t.test('a token check shows the failing check of an expired token', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  await signIn(page)
  await page.goto('/console/partners/acme/token-check')
  const expired = await mint(key, { iss: 'https://acme.example', sub: 'user-1' }, { now: nowSeconds() - 7200, lifetime: 600 })
  await page.getByLabel('Token', { exact: true }).fill(expired)
  await page.getByRole('button', { name: 'Check token' }).click()
  tt.match(await page.getByRole('heading', { level: 2 }).first().textContent(), /Token refused: token_expired/)
  const failed = page.locator('tr.failed')
  tt.equal(await failed.count(), 1)
  tt.match(await failed.textContent(), /failed[\s\S]*expired/)
  tt.notOk((await page.content()).includes(expired), 'the token is not echoed back')
  await failed.scrollIntoViewIfNeeded()
  await screenshot(page, 'token-check')
})

t.test("revoking a user's sessions refuses the tokens issued before", { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  const token = await mint(key, { iss: 'https://acme.example', sub: 'user-1', email: 'u1@acme.example' }, { now: nowSeconds() - 5 })
  tt.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  await signIn(page)
  await page.getByRole('link', { name: 'Users' }).click()
  await page.getByLabel('Partner').selectOption('acme')
  await page.getByLabel('External user id').fill('user-1')
  await page.getByRole('button', { name: 'Look up' }).click()
  tt.match(await page.locator('table.facts').textContent(), /u1@acme\.example/)
  await page.getByRole('button', { name: 'Revoke sessions' }).click()
  tt.match(await page.getByRole('status').first().textContent(), /Sessions revoked/)
  await screenshot(page, 'users')
  const after = await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  tt.equal(after.statusCode, 401)
  tt.equal(after.json().code, 'token_revoked')
})

t.test('disable, then delete after confirming; the partner is gone', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  await signIn(page)
  await page.goto('/console/partners/acme')
  tt.equal(await page.getByRole('button', { name: 'Delete partner' }).count(), 0, 'no delete while active')
  await page.getByRole('button', { name: 'Disable partner' }).click()
  await page.waitForSelector('text=Status: disabled')
  await page.getByLabel(/I understand this deletes acme/).check()
  let asked = ''
  page.once('dialog', (dialog) => {
    asked = dialog.message()
    void dialog.accept()
  })
  await page.getByRole('button', { name: 'Delete partner' }).click()
  await page.waitForURL('**/console/partners')
  tt.match(asked, /Delete partner acme/)
  tt.equal(await page.locator('table tbody tr', { hasText: 'acme' }).count(), 0)
  tt.equal(await app.services.store.partners.get('acme'), null)
})

t.test('revoking the admin token signs the browser out', { skip }, async (tt) => {
  const { page, store } = await harness(tt)
  const issued = await issueAdminToken(store, 'browser test', 'cli')
  await signIn(page, issued.token)
  tt.match(await page.locator('header .actor').textContent(), new RegExp(`admin-token:${issued.id}`))
  await store.adminTokens.revoke(issued.id, 'cli')
  await page.getByRole('link', { name: 'Audit' }).click()
  await page.waitForURL('**/console/sign-in')
  tt.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sign in')
  const cookies = await page.context().cookies()
  tt.notOk(cookies.some((c) => c.name === 'gatehouse_console'), 'the session cookie is cleared')
})

t.test('refusals per partner, and the audit log filtered by partner and paged', { skip }, async (tt) => {
  const { page, app } = await harness(tt)
  await staticPartner(app)
  await staticPartner(app, 'globex')
  await createApiKey(app, 'acme')
  const expired = await mint(key, { iss: 'https://acme.example', sub: 'user-1' }, { now: nowSeconds() - 7200, lifetime: 600 })
  tt.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${expired}` } })).statusCode, 401)
  await app.services.refusals.settled()
  await signIn(page)
  await page.goto('/console/partners/acme/refusals')
  tt.match(await page.locator('tbody tr').first().textContent(), /token_expired[\s\S]*user-1/)
  await screenshot(page, 'refusals')

  await page.getByRole('link', { name: 'Audit' }).click()
  await page.getByLabel('Partner').selectOption('acme')
  await page.getByRole('button', { name: 'Filter' }).click()
  const partners = await page.locator('tbody tr td:nth-child(5)').allTextContents()
  tt.ok(partners.length >= 2)
  tt.same([...new Set(partners)], ['acme'], 'only acme entries')
  await screenshot(page, 'audit')
  await page.goto('/console/audit?limit=1')
  const first = await page.locator('tbody tr td:first-child').textContent()
  await page.getByRole('link', { name: 'Older entries' }).click()
  const second = await page.locator('tbody tr td:first-child').textContent()
  tt.ok(Number(second) < Number(first), 'the next page is older')
})

t.test('keyboard alone at 400 px: sign in, open the new partner form, fill it and save (Tab, Space, Enter)', { skip }, async (tt) => {
  const { page, app } = await harness(tt, { width: 400, height: 800 })
  const jwks = await startJwksServer(tt, [key.publicJwk])
  await page.goto('/console/sign-in')
  const focused = () => page.evaluate(() => document.activeElement?.id || document.activeElement?.textContent?.trim() || '')
  async function tabTo(target: string, limit = 30): Promise<void> {
    for (let i = 0; i < limit; i++) {
      await page.keyboard.press('Tab')
      if ((await focused()) === target) return
    }
    throw new Error(`Tab never reached ${target}`)
  }
  await tabTo('token', 5)
  await page.keyboard.type(ADMIN_TOKEN)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/console/partners')
  await tabTo('New partner')
  await page.keyboard.press('Enter')
  await page.waitForURL('**/console/partners/new')
  await tabTo('field-id')
  await page.keyboard.type('kbd')
  // The focus order follows the form: each Tab lands on the next field.
  for (const [id, text] of [
    ['field-name', 'Keyboard Inc'],
    ['field-jwtIssuer', 'https://kbd.example'],
    ['field-jwtAudience', ''],
    ['field-maxTokenLifetimeSeconds', ''],
  ] as const) {
    await page.keyboard.press('Tab')
    tt.equal(await focused(), id)
    if (text) await page.keyboard.type(text)
  }
  await page.keyboard.press('Tab')
  tt.equal(await focused(), 'field-requireIssuedAt')
  await page.keyboard.press('Space')
  await page.keyboard.press('Tab')
  tt.equal(await focused(), 'field-jwksUrl')
  await page.keyboard.type(jwks.url)
  await page.keyboard.press('Enter')
  await page.waitForURL('**/console/partners')
  tt.match(await page.getByRole('heading', { level: 1 }).textContent(), /Keyboard Inc \(kbd\)/)
  const stored = await app.services.store.partners.get('kbd')
  tt.equal(stored?.requireIssuedAt, false, 'Space unticked the checkbox')
  tt.equal(stored?.jwksUrl, jwks.url)
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)
  tt.equal(await overflow(), 0, 'nothing scrolls sideways at 400 px')
  // Wide tables scroll inside their own box; the page itself never does.
  for (const url of ['/console/partners', '/console/partners/kbd', '/console/partners/kbd/keys', '/console/partners/kbd/api-keys', '/console/partners/kbd/token-check', '/console/partners/kbd/refusals', '/console/audit', '/console/users']) {
    await page.goto(url)
    tt.equal(await overflow(), 0, `${url} fits 400 px`)
    // Every control of the page is reached by Tab alone, and every field has a label.
    const controls = await page.evaluate(() => {
      const all = [...document.querySelectorAll<HTMLElement>('a[href], button, input:not([type=hidden]), select, textarea')].filter((e) => !e.hasAttribute('disabled'))
      all.forEach((e, i) => e.setAttribute('data-kbd', String(i)))
      const unlabelled = all.filter((e) => e instanceof HTMLInputElement || e instanceof HTMLSelectElement || e instanceof HTMLTextAreaElement).filter((e) => (e as HTMLInputElement).labels?.length === 0 && !e.getAttribute('aria-label'))
      return { count: all.length, unlabelled: unlabelled.map((e) => e.outerHTML) }
    })
    tt.same(controls.unlabelled, [], `${url}: every field has a label`)
    const reached = new Set<string>()
    for (let i = 0; i < controls.count + 5; i++) {
      await page.keyboard.press('Tab')
      const at = await page.evaluate(() => document.activeElement?.getAttribute('data-kbd') ?? null)
      if (at !== null) reached.add(at)
    }
    tt.equal(reached.size, controls.count, `${url}: Tab reaches all ${controls.count} controls`)
  }
})
