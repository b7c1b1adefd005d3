// `gatehouse api-keys …` and `admin-tokens …`: the secrets they print work against the app on the same database.
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { gatehouse, json } from './fixtures/run-gatehouse.js'

/** The app the server would run on `dbPath` (no ADMIN_TOKEN: only stored admin tokens are accepted). */
async function appOn(tt: { teardown(fn: () => unknown): void }, dbPath: string) {
  const config = loadConfig({ DATABASE_URL: dbPath, LOG_LEVEL: 'silent' })
  const store = await openStore(config.database)
  const app = await buildApp({ config, store, logger: false })
  tt.teardown(async () => {
    await app.close()
    await store.close()
  })
  return { app, store }
}

t.test('api-keys create prints a key that the partner API accepts; revoke stops it', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const { app, store } = await appOn(tt, dbPath)
  await store.partners.create(
    'acme',
    partnerFields({
      name: 'Acme',
      jwtIssuer: 'https://acme.example',
      jwksUrl: null,
      jwtPublicKey: makeKey('cli-keys').spkiPem,
      jwtAudience: null,
      maxTokenLifetimeSeconds: 3600,
      status: 'active',
    }),
    'test',
  )

  const human = await gatehouse(['api-keys', 'create', 'acme'], { env })
  tt.equal(human.code, 0, human.stderr)
  const printed = /^ {2}(gh_pk_\S+)$/m.exec(human.stdout)?.[1]
  tt.ok(printed, 'the key is printed on its own line')
  const created = json<{ id: string; key: string; prefix: string }>(await gatehouse(['api-keys', 'create', 'acme', '--json'], { env }))
  tt.match(created, { id: String, key: /^gh_pk_/, prefix: String })
  tt.ok(created.key.startsWith(created.prefix))

  const users = (key: string) => app.inject({ method: 'GET', url: '/integrations/users/nobody', headers: { authorization: `Bearer ${key}` } })
  tt.equal((await users(printed!)).statusCode, 404, 'the printed key authenticates (the user just does not exist)')
  tt.equal((await users(created.key)).statusCode, 404, 'several keys are live at once')

  const listed = await gatehouse(['api-keys', 'list', 'acme'], { env })
  tt.equal(listed.code, 0)
  tt.match(listed.stdout, new RegExp(`${created.id}\\s+${created.prefix}…`))
  tt.notOk(listed.stdout.includes(created.key) || listed.stdout.includes(printed!), 'list never shows a secret')
  const shown = await gatehouse(['partners', 'show', 'acme', '--json'], { env })
  tt.notOk(shown.stdout.includes(created.key), 'partners show never shows a secret')

  const revoked = await gatehouse(['api-keys', 'revoke', 'acme', created.id], { env })
  tt.equal(revoked.code, 0, revoked.stderr)
  tt.match(revoked.stdout, `Revoked API key ${created.id}`)
  tt.equal((await users(created.key)).statusCode, 401, 'the revoked key is refused on the next request')
  tt.equal((await users(printed!)).statusCode, 404, 'the other key still works')

  const again = await gatehouse(['api-keys', 'revoke', 'acme', created.id], { env })
  tt.equal(again.code, 1)
  tt.match(again.stderr, /^gatehouse: no live API key .* for partner acme\n$/)
  const noPartner = await gatehouse(['api-keys', 'create', 'nobody'], { env })
  tt.equal(noPartner.code, 1)
  tt.equal(noPartner.stderr, 'gatehouse: no partner nobody\n')

  const audit = await store.audit.list({ partnerId: 'acme', limit: 10 })
  tt.same(audit.filter((e) => e.actor === 'cli').map((e) => e.action), ['api_key.revoke', 'api_key.create', 'api_key.create'])
})

t.test('admin-tokens create prints a token the admin API accepts; revoke stops it', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const { app } = await appOn(tt, dbPath)

  const created = json<{ id: string; token: string; prefix: string; label: string }>(await gatehouse(['admin-tokens', 'create', '--label', 'ops laptop', '--json'], { env }))
  tt.match(created, { id: String, token: /^gh_admin_/, label: 'ops laptop' })
  const partners = (token: string) => app.inject({ method: 'GET', url: '/admin/partners', headers: { authorization: `Bearer ${token}` } })
  tt.equal((await partners(created.token)).statusCode, 200)

  const listed = await gatehouse(['admin-tokens', 'list'], { env })
  tt.match(listed.stdout, /ops laptop/)
  tt.notOk(listed.stdout.includes(created.token), 'list never shows a secret')

  const revoked = await gatehouse(['admin-tokens', 'revoke', created.id], { env })
  tt.equal(revoked.code, 0, revoked.stderr)
  tt.equal((await partners(created.token)).statusCode, 401)
  const again = await gatehouse(['admin-tokens', 'revoke', created.id], { env })
  tt.equal(again.code, 1)
  tt.equal(again.stderr, `gatehouse: no live admin token ${created.id}\n`)
})
