// Durability (docs/reference.md, Guarantees): every write acknowledged with 2xx survives `kill -9` of the real server process.
import t, { type Test } from 'tap'
import { ADMIN_TOKEN, tempDbPath } from './helpers/build-app.js'
import { startChildServer } from './helpers/child-server.js'
import { makeKey } from './helpers/keys.js'
import { POSTGRES_SKIP_MESSAGE, POSTGRES_URL, freshSchema, postgresOnly } from './helpers/postgres.js'

const TOTAL = 600
const IN_FLIGHT = 64
const KILL_AFTER_ACKS = 100

t.test('every acknowledged upsert survives SIGKILL while others are in flight', async (tt) => survivesKill(tt, tempDbPath(tt)))

// The same scenario on PostgreSQL (a fresh schema), when GATEHOUSE_TEST_POSTGRES_URL is set.
if (!POSTGRES_URL) t.comment(POSTGRES_SKIP_MESSAGE)
t.test('postgres: every acknowledged upsert survives SIGKILL while others are in flight', postgresOnly(), async (tt) =>
  survivesKill(tt, (await freshSchema(tt)).url),
)

async function survivesKill(tt: Test, databaseUrl: string): Promise<void> {
  const env = { DATABASE_URL: databaseUrl, ADMIN_TOKEN, LOG_LEVEL: 'silent' }
  const adminHeaders = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

  const t0 = Date.now()
  const first = await startChildServer(tt, env)
  const started = Date.now()
  const created = await fetch(`${first.url}/admin/partners`, {
    method: 'POST',
    headers: adminHeaders,
    body: JSON.stringify({ id: 'durable', name: 'Durable', jwtIssuer: 'https://durable.example', jwtPublicKey: makeKey('durable').spkiPem }),
  })
  tt.equal(created.status, 201, 'partner created over HTTP')
  const keyRes = await fetch(`${first.url}/admin/partners/durable/api-keys`, { method: 'POST', headers: { authorization: adminHeaders.authorization } })
  tt.equal(keyRes.status, 201, 'API key created over HTTP')
  const apiKey = ((await keyRes.json()) as { key: string }).key
  const partnerHeaders = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }

  const acknowledged: string[] = []
  const unexpected: string[] = []
  let next = 0
  let inFlight = 0
  let inFlightAtKill = -1
  let failedAfterKill = 0

  const kill = () => {
    if (inFlightAtKill >= 0) return
    inFlightAtKill = inFlight
    first.child.kill('SIGKILL')
  }

  async function worker(): Promise<void> {
    while (next < TOTAL && inFlightAtKill < 0) {
      const id = `user-${String(next++).padStart(4, '0')}`
      inFlight++
      try {
        const res = await fetch(`${first.url}/integrations/users`, {
          method: 'POST',
          headers: partnerHeaders,
          body: JSON.stringify({ externalUserId: id, email: `${id}@example.com`, countryCode: 'gb' }),
        })
        // A 2xx status line is the acknowledgement, even if the process dies before the body is read.
        if (res.status === 201 || res.status === 200) acknowledged.push(id)
        else unexpected.push(`${id}: ${res.status}`)
        await res.arrayBuffer().catch(() => undefined)
      } catch (err) {
        if (inFlightAtKill < 0) unexpected.push(`${id}: ${(err as Error).message}`)
        else failedAfterKill++
      } finally {
        inFlight--
      }
      if (acknowledged.length >= KILL_AFTER_ACKS) kill()
    }
  }

  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
  const exit = await first.exited
  const killedAt = Date.now()
  tt.equal(exit.signal, 'SIGKILL', 'the server was killed with SIGKILL')
  tt.same(unexpected, [], 'no failure before the kill')
  tt.ok(acknowledged.length >= KILL_AFTER_ACKS, `at least ${KILL_AFTER_ACKS} acknowledged before the kill`)
  tt.ok(inFlightAtKill > 0, `requests were in flight at the kill (${inFlightAtKill})`)
  tt.ok(next < TOTAL, 'the kill came before every upsert was sent')
  tt.comment(`sent ${next}, in flight at kill ${inFlightAtKill}, failed by the kill ${failedAfterKill}`)

  const second = await startChildServer(tt, env)
  const restarted = Date.now()
  const found: string[] = []
  const wrong: string[] = []
  for (let i = 0; i < acknowledged.length; i += IN_FLIGHT) {
    await Promise.all(
      acknowledged.slice(i, i + IN_FLIGHT).map(async (id) => {
        const res = await fetch(`${second.url}/integrations/users/${encodeURIComponent(id)}`, { headers: { authorization: partnerHeaders.authorization } })
        if (res.status !== 200) {
          wrong.push(`${id}: ${res.status}`)
          await res.arrayBuffer()
          return
        }
        const user = (await res.json()) as { externalUserId: string; email: string; countryCode: string }
        if (user.externalUserId === id && user.email === `${id}@example.com` && user.countryCode === 'GB') found.push(id)
        else wrong.push(`${id}: ${JSON.stringify(user)}`)
      }),
    )
  }
  tt.comment(`start ${started - t0} ms, load and kill ${killedAt - started} ms, restart ${restarted - killedAt} ms, reads ${Date.now() - restarted} ms`)
  tt.comment(`acknowledged ${acknowledged.length}, found ${found.length}`)
  tt.equal(found.length, acknowledged.length, 'every acknowledged user was found after the restart')
  tt.same(wrong, [], 'none missing or different')
}
