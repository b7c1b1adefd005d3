// The SQLite store's user cache against writes from another process on the same file (the CLI while the server
// runs): every such write reaches the server's /me reads within 5 s, through SQLite's data_version.
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { partnerFields } from '../helpers/partner-fields.js'
import { waitFor } from '../helpers/wait-for.js'

const CROSS_PROCESS_MS = 5000

t.test('a second connection revokes, creates and deletes users: the first serves each change within 5 s', async (tt) => {
  const path = tempDbPath(tt)
  const server = await openStore({ kind: 'sqlite', path })
  tt.teardown(() => server.close())
  const cli = await openStore({ kind: 'sqlite', path })
  tt.teardown(() => cli.close())
  await server.partners.create(
    'acme',
    partnerFields({ name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: null, jwtPublicKey: 'PEM', jwtAudience: null, maxTokenLifetimeSeconds: 3600, status: 'active' }),
    'test',
  )
  await server.users.upsert('acme', 'u1', {})
  tt.equal((await server.users.getCached('acme', 'u1'))?.tokensValidAfter, null, 'cached, unrevoked')
  tt.equal(await server.users.getCached('acme', 'u2'), null, 'u2 absent (and remembered as absent)')

  const seen = async (what: string, probe: () => Promise<unknown>, done: (v: unknown) => boolean) => {
    const started = Date.now()
    const value = await waitFor(probe, done, CROSS_PROCESS_MS + 1000)
    const ms = Date.now() - started
    tt.ok(done(value) && ms < CROSS_PROCESS_MS, `${what}: served after ${ms} ms`)
  }
  await cli.users.revokeSessions('acme', 'u1', { actor: 'cli', maxTokenLifetimeSeconds: 3600 })
  await seen('revocation', () => server.users.getCached('acme', 'u1'), (u) => (u as { tokensValidAfter: string | null } | null)?.tokensValidAfter !== null)
  tt.equal(await server.users.getCached('acme', 'u2'), null, 'u2 still absent, remembered again since the last clear')
  await cli.users.upsert('acme', 'u2', { email: 'u2@example.com' })
  await seen('a user created elsewhere', () => server.users.getCached('acme', 'u2'), (u) => (u as { email: string } | null)?.email === 'u2@example.com')
  tt.ok(await server.users.getCached('acme', 'u1'), 'u1 cached again')
  await cli.users.delete('acme', 'u1')
  await seen('delete', () => server.users.getCached('acme', 'u1'), (u) => u === null)
})
