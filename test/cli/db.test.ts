// `gatehouse db …`: idempotent migrations, and an online backup taken while the app holds the database.
import { existsSync, linkSync, symlinkSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { admin, build } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { createPartner } from '../helpers/partners.js'
import { gatehouse, json } from './fixtures/run-gatehouse.js'

t.test('db migrate is idempotent', async (tt) => {
  const { dbPath } = await build(tt)
  const env = { DATABASE_URL: join(dbPath, '..', 'fresh', 'gatehouse.db') }
  const first = await gatehouse(['db', 'migrate'], { env })
  tt.equal(first.code, 0, first.stderr)
  tt.match(first.stdout, /Migrations applied; .*fresh\/gatehouse\.db is up to date\./)
  const second = await gatehouse(['db', 'migrate', '--json'], { env })
  tt.equal(second.code, 0, second.stderr)
  tt.match(json(second), { upToDate: true })
  const store = await openStore({ kind: 'sqlite', path: env.DATABASE_URL })
  tt.teardown(() => store.close())
  await tt.resolves(store.checkReady(), 'every migration is applied')
})

t.test('db backup copies the live database: the copy opens and holds the partner', async (tt) => {
  const { app, dbPath } = await build(tt)
  await createPartner(app, { id: 'acme', jwtPublicKey: makeKey('cli-backup').spkiPem })
  const env = { DATABASE_URL: dbPath }
  const file = join(dbPath, '..', 'backups', 'gatehouse-backup.db')

  // The app keeps the database open (and writing) while the backup runs.
  const writing = app.inject({ method: 'PATCH', url: '/admin/partners/acme', headers: admin, payload: { name: 'Acme Renamed' } })
  const result = await gatehouse(['db', 'backup', file], { env })
  tt.equal(result.code, 0, result.stderr)
  tt.match(result.stdout, /^Backed up .* to .*gatehouse-backup\.db/)
  tt.equal((await writing).statusCode, 200)
  tt.ok(existsSync(file))

  const copy = await openStore({ kind: 'sqlite', path: file })
  tt.teardown(() => copy.close())
  await copy.checkReady()
  tt.match(await copy.partners.get('acme'), { id: 'acme', jwtIssuer: 'https://acme.example' })

  const again = await gatehouse(['db', 'backup', file], { env })
  tt.equal(again.code, 1, 'an existing file is not overwritten')
  tt.match(again.stderr, /exists; pass --force to overwrite it\n$/)
  tt.equal((await gatehouse(['db', 'backup', file, '--force'], { env })).code, 0)
  const self = await gatehouse(['db', 'backup', dbPath], { env })
  tt.equal(self.code, 1)
  tt.match(self.stderr, /is the database itself/)
})

t.test('db backup refuses the live database under any other name: a symlink, a hard link, its write-ahead log', async (tt) => {
  const { app, dbPath } = await build(tt)
  await createPartner(app, { id: 'acme', jwtPublicKey: makeKey('cli-backup-alias').spkiPem })
  const env = { DATABASE_URL: dbPath }
  const symlink = join(dbPath, '..', 'alias.db')
  symlinkSync(dbPath, symlink)
  const hardLink = join(dbPath, '..', 'hard-link.db')
  linkSync(dbPath, hardLink)
  for (const [what, target] of [
    ['a symlink to it', symlink],
    ['a hard link to it', hardLink],
    ['a path spelled differently', join(dbPath, '..', '.', 'gatehouse.db')],
    ['its write-ahead log', `${dbPath}-wal`],
  ] as const) {
    const result = await gatehouse(['db', 'backup', target, '--force'], { env })
    tt.equal(result.code, 1, `${what}: refused, even with --force`)
    tt.match(result.stderr, /is the database itself/, `${what}: says why`)
  }
  const copy = await openStore({ kind: 'sqlite', path: dbPath })
  tt.teardown(() => copy.close())
  tt.match(await copy.partners.get('acme'), { id: 'acme' }, 'the database still holds its data')
})

t.test('db backup on PostgreSQL points to pg_dump', async (tt) => {
  const result = await gatehouse(['db', 'backup', 'x.db'], { env: { DATABASE_URL: 'postgres://user:secret@db.invalid/gatehouse' } })
  tt.equal(result.code, 1)
  tt.match(result.stderr, /^gatehouse: .*pg_dump.*\n$/)
  tt.notMatch(result.stderr, /secret/, 'the database password is never printed')
})
