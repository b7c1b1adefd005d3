// The PostgreSQL store's per-instance user cache against a real database (README, "User cache on PostgreSQL"):
// two stores on one schema stand for two instances. A warm read makes no round trip; every kind of user change
// made through one is served by the other within 5 s; the instance that made it sees it on the next read.
import t, { type Test } from 'tap'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { startStatementLog, type StatementLog, untilUserCached, userStatements } from '../helpers/pg-statement-log.js'
import { freshSchema, pgQuery, postgresOnly } from '../helpers/postgres.js'
import { waitFor } from '../helpers/wait-for.js'

/** The contract's bound for a change made through another instance. */
const CROSS_INSTANCE_MS = 5000

interface Pair {
  /** Reads through its cache, over a proxy that logs its statements. */
  a: Store
  aLog: StatementLog
  /** Makes changes, as another instance would. */
  b: Store
  schema: string
}

async function pair(tt: Test): Promise<Pair> {
  const fresh = await freshSchema(tt)
  const aLog = await startStatementLog(tt, fresh.url)
  const a = await openStore({ kind: 'postgres', url: aLog.url })
  tt.teardown(() => a.close())
  const b = await openStore({ kind: 'postgres', url: fresh.url })
  tt.teardown(() => b.close())
  await b.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }),
    'test',
  )
  await b.users.upsert('acme', 'u1', { email: 'first@example.com' })
  return { a, aLog, b, schema: fresh.schema }
}

/** Reads u1 through A until a read makes no statement: A's listener is confirmed and the user cached. */
const warm = (p: Pair) => untilUserCached(p.aLog, () => p.a.users.getCached('acme', 'u1'))

/** Reads u1 through A until `fresh` holds; fails past the contract's bound. Returns the milliseconds it took. */
async function seenByA(tt: Test, p: Pair, fresh: (user: Awaited<ReturnType<Store['users']['get']>>) => boolean, what: string): Promise<void> {
  const started = Date.now()
  const user = await waitFor(() => p.a.users.getCached('acme', 'u1'), fresh, CROSS_INSTANCE_MS + 1000)
  const ms = Date.now() - started
  tt.ok(fresh(user) && ms < CROSS_INSTANCE_MS, `${what}: A serves it after ${ms} ms`)
}

t.test('two stores on one PostgreSQL schema', postgresOnly(), async (t) => {
  t.test('a warm read makes no round trip; the partner API read always does', async (tt) => {
    const p = await pair(tt)
    await warm(p)
    const before = p.aLog.statements.length
    const emails = new Set<string | null | undefined>()
    for (let i = 0; i < 300; i++) emails.add((await p.a.users.getCached('acme', 'u1'))?.email)
    tt.same([...emails], ['first@example.com'], 'every read answered the user')
    tt.same(userStatements(p.aLog, before), [], '300 warm reads, no statement on users')
    await p.a.users.get('acme', 'u1')
    tt.equal(userStatements(p.aLog, before).length, 1, 'get reads the database')
  })

  t.test('a change made through B is served by A within 5 s: profile update, upsert, revocation, delete', async (tt) => {
    const p = await pair(tt)
    await warm(p)
    await p.b.users.updateProfile('acme', 'u1', { displayName: 'Ada' }, 'overwrite')
    await seenByA(tt, p, (u) => u?.displayName === 'Ada', 'profile update')
    await warm(p)
    await p.b.users.upsert('acme', 'u1', { email: 'second@example.com' })
    await seenByA(tt, p, (u) => u?.email === 'second@example.com', 'upsert')
    await warm(p)
    await p.b.users.revokeSessions('acme', 'u1', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
    await seenByA(tt, p, (u) => u?.tokensValidAfter !== null, 'revocation')
    await warm(p)
    await p.b.users.delete('acme', 'u1')
    await seenByA(tt, p, (u) => u === null, 'delete')
  })

  t.test("a partner delete's cascade reaches A's cache through one partner-wide notice", async (tt) => {
    const p = await pair(tt)
    for (let i = 0; i < 150; i++) await p.b.users.upsert('acme', `bulk-${i}`, {})
    await warm(p)
    const disabled = await p.b.partners.update('acme', { status: 'disabled' }, { actor: 'test' })
    tt.ok(disabled.ok)
    tt.same(await p.b.partners.delete('acme', { actor: 'test' }), { ok: true })
    await seenByA(tt, p, (u) => u === null, 'partner delete (151 users)')
  })

  t.test("A's own writes hold on A's very next read, with no wait", async (tt) => {
    const p = await pair(tt)
    await warm(p)
    await p.a.users.revokeSessions('acme', 'u1', { actor: 'test', maxTokenLifetimeSeconds: 3600 })
    tt.not((await p.a.users.getCached('acme', 'u1'))?.tokensValidAfter, null, 'revocation')
    await p.a.users.updateProfile('acme', 'u1', { email: 'own@example.com' }, 'overwrite')
    tt.equal((await p.a.users.getCached('acme', 'u1'))?.email, 'own@example.com', 'profile update')
    await p.a.users.delete('acme', 'u1')
    tt.equal(await p.a.users.getCached('acme', 'u1'), null, 'delete')
  })

  t.test("A's listener killed: a change made meanwhile is never served stale past 5 s, and the cache comes back", async (tt) => {
    const p = await pair(tt)
    await warm(p)
    const application = `gatehouse-listener ${p.schema}`.slice(0, 63)
    const killed = await pgQuery<{ ok: boolean }>('select pg_terminate_backend(pid) as ok from pg_stat_activity where application_name = $1', [application])
    tt.same(killed, [{ ok: true }], "A's one listener terminated")
    await p.b.users.upsert('acme', 'u1', { email: 'while-deaf@example.com' })
    await seenByA(tt, p, (u) => u?.email === 'while-deaf@example.com', 'upsert while the listener was down')
    await warm(p)
    tt.pass('A reconnected and serves from its cache again')
    await p.b.users.upsert('acme', 'u1', { email: 'after@example.com' })
    await seenByA(tt, p, (u) => u?.email === 'after@example.com', 'upsert after the reconnect')
  })
})
