// `gatehouse users revoke-sessions`: the same use-case as the partner and admin APIs, against the app on the same database.
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { buildApp } from '../../src/app.js'
import { loadConfig } from '../../src/config.js'
import { openStore } from '../../src/storage/index.js'
import { ADMIN_TOKEN, admin, tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'
import { gatehouse, json } from './fixtures/run-gatehouse.js'

t.test("users revoke-sessions refuses the user's earlier tokens on the app's next request, and is audited as the CLI", async (tt) => {
  const dbPath = tempDbPath(tt)
  // SQLite serves one process: the app runs before and after the CLI, never beside it.
  const appOn = async () => {
    const config = loadConfig({ DATABASE_URL: dbPath, ADMIN_TOKEN, LOG_LEVEL: 'silent' })
    const store = await openStore(config.database)
    const app = await buildApp({ config, store, logger: false })
    let closed = false
    const close = async () => {
      if (closed) return
      closed = true
      await app.close()
      await store.close()
    }
    tt.teardown(close)
    return { app, close }
  }
  const key = makeKey('cli-users')
  const token = await mint(key, { iss: 'https://acme.example', sub: 'user 42' }, { now: Math.floor(Date.now() / 1000) - 30 })
  const me = (app: FastifyInstance) => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  const before = await appOn()
  await createPartner(before.app, { id: 'acme', jwtIssuer: 'https://acme.example', jwtPublicKey: key.spkiPem })
  tt.equal((await me(before.app)).statusCode, 200)
  await before.close()

  const env = { DATABASE_URL: dbPath }
  const human = await gatehouse(['users', 'revoke-sessions', 'acme', 'user 42'], { env })
  tt.equal(human.code, 0, human.stderr)
  tt.match(human.stdout, /^Revoked the sessions of acme\/user 42: tokens issued before \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z are refused\.\n$/)
  const { app } = await appOn()
  const refused = await me(app)
  tt.equal(refused.statusCode, 401)
  tt.equal(refused.json().code, 'token_revoked')

  const machine = json<{ externalUserId: string; tokensValidAfter: string }>(await gatehouse(['users', 'revoke-sessions', 'acme', 'user 42', '--json'], { env }))
  tt.match(machine, { externalUserId: 'user 42', tokensValidAfter: String })
  tt.notOk('revocationLifetimeSeconds' in machine, 'the internal field is not printed')

  const noUser = await gatehouse(['users', 'revoke-sessions', 'acme', 'nobody'], { env })
  tt.equal(noUser.code, 1)
  tt.equal(noUser.stderr, 'gatehouse: partner acme has no user nobody\n')
  const noPartner = await gatehouse(['users', 'revoke-sessions', 'nope', 'user 42'], { env })
  tt.equal(noPartner.code, 1)
  tt.equal(noPartner.stderr, 'gatehouse: no partner nope\n')
  tt.equal((await gatehouse(['users', 'revoke-sessions', 'acme'], { env })).code, 2, 'the user id is required')

  const audit = (await app.inject({ method: 'GET', url: '/admin/audit?partnerId=acme', headers: admin })).json()
  tt.same(audit.items.filter((e: { action: string }) => e.action === 'user.revoke_sessions').map((e: { actor: string }) => e.actor), ['cli', 'cli'])
})
