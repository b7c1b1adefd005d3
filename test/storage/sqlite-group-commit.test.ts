// The SQLite store's group commit: writes of one event-loop turn share a transaction, yet fail alone.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import t, { type Test } from 'tap'
import { createGroupCommit } from '../../src/storage/sqlite/group-commit.js'

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
