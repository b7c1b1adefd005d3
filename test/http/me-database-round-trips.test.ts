// GET /me on PostgreSQL, counted statement by statement through a logging proxy: a warm request (a user and
// token seen before) makes no database round trip, so instances add no per-request load to the shared database;
// at rest an instance runs a bounded number of statements a second (the partner poll and the cache heartbeat).
import t from 'tap'
import { buildOnDatabase } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'
import { startStatementLog, untilUserCached, userStatements } from '../helpers/pg-statement-log.js'
import { freshSchema, postgresOnly } from '../helpers/postgres.js'

const key = makeKey('round-trips')
const ISS = 'https://acme.example'
/** The partner revision poll and the user cache's heartbeat each run once a second. */
const AT_REST_PER_SECOND = 2

t.test('[postgres] 300 warm GET /me: no statement but the once-a-second ones', postgresOnly(), async (tt) => {
  const log = await startStatementLog(tt, (await freshSchema(tt)).url)
  const { app, clock } = await buildOnDatabase(tt, log.url)
  await createPartner(app, { id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem })
  const token = await mint(key, { iss: ISS, sub: 'u1' }, { now: Math.floor(clock.now / 1000) - 30 })
  const me = () => app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  tt.equal((await me()).json().user.provisionedBy, 'jit', 'the first request provisions the user')

  // Warm: the instance's change listener has confirmed its first heartbeat and the user is cached.
  await untilUserCached(log, me)

  const before = log.statements.length
  const started = Date.now()
  const statuses = new Set<number>()
  for (let i = 0; i < 300; i++) statuses.add((await me()).statusCode)
  const seconds = (Date.now() - started) / 1000
  const during = log.statements.slice(before)
  tt.same([...statuses], [200])
  tt.same(userStatements(log, before), [], 'no statement on users')
  const allowed = Math.ceil(seconds + 1) * AT_REST_PER_SECOND
  tt.ok(during.length <= allowed, `${during.length} statements in ${seconds.toFixed(1)} s (at rest: ≤ ${allowed}): ${JSON.stringify(during)}`)
})
