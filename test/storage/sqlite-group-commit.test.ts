// The SQLite store's group commit: writes of one event-loop turn share a transaction, yet fail alone.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { openStore } from '../../src/storage/index.js'
import { createGroupCommit } from '../../src/storage/sqlite/group-commit.js'
import { tempDbPath } from '../helpers/build-app.js'
import { partnerFields } from '../helpers/partner-fields.js'

function openDb(tt: Test): Database.Database {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-group-commit-'))
  const db = new Database(join(dir, 'g.db'))
  db.pragma('journal_mode = WAL')
  db.exec('create table items (name text primary key)')
  tt.teardown(() => {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return db
}

t.test('writes issued together commit in one transaction, each answered with its own result', async (tt) => {
  const db = openDb(tt)
  const commit = createGroupCommit(db, () => tt.fail('no rollback expected'))
  const insert = db.prepare('insert into items (name) values (?)')
  const reader = new Database(db.name, { readonly: true })
  tt.teardown(() => reader.close())
  const committedRows = () => (reader.prepare('select count(*) as n from items').get() as { n: number }).n
  // Each write reports how many rows another connection sees committed at that moment.
  const results = await Promise.all(['a', 'b', 'c'].map((name) => commit(() => (insert.run(name), committedRows()))))
  tt.same(results, [0, 0, 0], 'none of the three was committed before the last ran: one transaction')
  tt.equal(committedRows(), 3)
  tt.same(db.prepare('select name from items order by name').pluck().all(), ['a', 'b', 'c'])
  // The next turn's writes form a new batch.
  tt.equal(await commit(() => (insert.run('d'), committedRows())), 3)
})

t.test('a failing write fails alone: the batch is replayed write by write after onRollback', async (tt) => {
  const db = openDb(tt)
  let rollbacks = 0
  const commit = createGroupCommit(db, () => rollbacks++)
  const insert = db.prepare('insert into items (name) values (?)')
  const outcomes = await Promise.allSettled([
    commit(() => insert.run('x').changes),
    commit(() => insert.run('x').changes), // duplicate key: throws inside the shared transaction
    commit(() => insert.run('y').changes),
  ])
  tt.equal(rollbacks, 1, 'onRollback ran once, before the replay')
  tt.same(
    outcomes.map((o) => o.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  )
  tt.match((outcomes[1] as PromiseRejectedResult).reason, { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' })
  tt.same(db.prepare('select name from items order by name').pluck().all(), ['x', 'y'])
})

t.test('a write is not answered before its transaction committed', async (tt) => {
  const db = openDb(tt)
  const commit = createGroupCommit(db, () => {})
  const insert = db.prepare('insert into items (name) values (?)')
  const reader = new Database(db.name, { readonly: true })
  tt.teardown(() => reader.close())
  const seenByOtherConnection = await commit(() => {
    insert.run('z')
    return reader.prepare('select count(*) as n from items').get() as { n: number }
  })
  tt.equal(seenByOtherConnection.n, 0, 'inside the batch the write is not yet committed')
  tt.equal((reader.prepare('select count(*) as n from items').get() as { n: number }).n, 1, 'committed when answered')
})

t.test(
  "a user write queued beside its partner's delete fails alone: its batch neighbours are acknowledged and stored, and the cache serves no rolled-back write",
  async (tt) => {
    const path = tempDbPath(tt)
    const store = await openStore({ kind: 'sqlite', path })
    tt.teardown(() => store.close())
    const partner = (id: string) => partnerFields({ name: id, jwtIssuer: `https://${id}.example`, jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'disabled' })
    await store.partners.create('acme', partner('acme'), 'test')
    await store.partners.create('gone', partner('gone'), 'test')

    // One event-loop turn: five writes join one batch, and the partner delete commits (synchronously) before it flushes.
    const batch = Promise.all([
      store.users.upsert('acme', 'fresh', { email: 'fresh@example.com' }),
      store.users.upsert('acme', 'quiet', {}),
      store.users.upsert('gone', 'late', { email: 'late@example.com' }),
      store.users.provision('gone', 'jit', {}),
      store.users.upsert('acme', 'after', { displayName: 'After' }),
    ])
    const deleted = store.partners.delete('gone', { actor: 'test' })
    const [fresh, quiet, late, jit, after] = await batch
    tt.same(await deleted, { ok: true })
    tt.same(late, { ok: false, reason: 'partner_not_found' }, 'the write for the deleted partner fails alone')
    tt.same(jit, { ok: false, reason: 'partner_not_found' })

    // Another connection sees exactly what was acknowledged: the neighbours, with the ids they were answered with.
    const reader = new Database(path, { readonly: true })
    tt.teardown(() => reader.close())
    const stored = reader.prepare('select id, partner_id, external_user_id, email from users order by external_user_id').all()
    const acknowledged = [after, fresh, quiet].map((o) => {
      if (!o.ok) throw new Error(`a neighbour answered ${o.reason}`)
      tt.equal(o.created, true, `${o.user.externalUserId} created`)
      return { id: o.user.id, partner_id: 'acme', external_user_id: o.user.externalUserId, email: o.user.email }
    })
    tt.same(stored, acknowledged, 'every acknowledged neighbour is in the database, nothing of the deleted partner')
    // The failed attempt cached users that its rollback undid; the cache must answer with the stored rows.
    for (const row of acknowledged) tt.equal((await store.users.get('acme', row.external_user_id))?.id, row.id)
  },
)
