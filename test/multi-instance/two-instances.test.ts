// Two real server processes on one PostgreSQL schema, over real HTTP: a change made through one
// instance holds on the other within 5 s, and concurrent JIT across both makes one user;
// while a delete spreads, the other instance answers by the old or the new record, never a 5xx.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { POSTGRES_MIGRATIONS } from '../../src/storage/postgres/postgres-store.js'
import { ADMIN_TOKEN } from '../helpers/build-app.js'
import { type ChildServer, startChildServer } from '../helpers/child-server.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { POSTGRES_SKIP_MESSAGE, POSTGRES_URL, freshSchema, pgQuery } from '../helpers/postgres.js'
import { waitFor } from '../helpers/wait-for.js'

/** Any change to a record takes effect within 5 s on every other instance. */
const CROSS_INSTANCE_MS = 5000

const adminJson = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }

if (!POSTGRES_URL) {
  t.comment(POSTGRES_SKIP_MESSAGE)
  t.test('two instances on one PostgreSQL', { skip: POSTGRES_SKIP_MESSAGE }, async () => {})
} else {
  await runAgainstTwoInstances()
}

async function runAgainstTwoInstances(): Promise<void> {
  const { schema, url } = await freshSchema(t)
  // The tests poll with tokens that are refused until a change spreads: the per-address failure limit (not under
  // test here) is off so a poll is never answered 429.
  const env = { DATABASE_URL: url, ADMIN_TOKEN, JWKS_ALLOW_PRIVATE_NETWORK: 'true', LOG_LEVEL: 'silent', AUTH_FAILURES_PER_MINUTE: '0' }
  // Started together on an empty schema: both race to migrate, the advisory lock lets one do it.
  const [a, b] = await Promise.all([startChildServer(t, env), startChildServer(t, env)])
  const A = a!
  const B = b!

  async function createPartner(server: ChildServer, id: string, key: TestKey, extra: Record<string, unknown> = {}): Promise<string> {
    const issuer = `https://${id}.example`
    const res = await fetch(`${server.url}/admin/partners`, {
      method: 'POST',
      headers: adminJson,
      body: JSON.stringify({ id, name: id, jwtIssuer: issuer, jwtPublicKey: key.spkiPem, ...extra }),
    })
    if (res.status !== 201) throw new Error(`create ${id}: ${res.status} ${await res.text()}`)
    return issuer
  }

  async function patchPartner(server: ChildServer, id: string, patch: Record<string, unknown>): Promise<void> {
    const res = await fetch(`${server.url}/admin/partners/${id}`, { method: 'PATCH', headers: adminJson, body: JSON.stringify(patch) })
    if (res.status !== 200) throw new Error(`patch ${id}: ${res.status} ${await res.text()}`)
  }

  const me = (server: ChildServer, token: string) => fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })

  /** The code a response answers with: 'ok' for 2xx, else the problem's code. */
  async function outcome(res: Response): Promise<string> {
    const body = (await res.json()) as { code?: string }
    return res.ok ? 'ok' : (body.code ?? String(res.status))
  }

  /**
   * Polls `probe` until it answers `expected`, for at most the contract's 5 s (the only real-time bound here);
   * returns the milliseconds that took (Infinity if never within the bound) and the last answer.
   */
  async function msUntil(probe: () => Promise<Response>, expected: string): Promise<{ ms: number; last: string }> {
    const start = performance.now()
    const last = await waitFor(async () => outcome(await probe()), (code) => code === expected, CROSS_INSTANCE_MS)
    return { ms: last === expected ? performance.now() - start : Infinity, last }
  }

  t.test('both instances started together on an empty schema: migrated once, both ready', async (tt) => {
    const journal = JSON.parse(readFileSync(join(POSTGRES_MIGRATIONS, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
    const [applied] = await pgQuery<{ n: number }>('select count(*)::int as n from __drizzle_migrations', [], schema)
    tt.equal(applied!.n, journal.entries.length)
    for (const server of [A, B]) tt.equal((await fetch(`${server.url}/readyz`)).status, 200)
  })

  t.test('a partner created through A is known to B within 5 s', async (tt) => {
    const key = makeKey('mi-create')
    const issuer = await createPartner(A, 'mi-create', key)
    const token = await mint(key, { iss: issuer, sub: 'u' })
    const { ms, last } = await msUntil(() => me(B, token), 'ok')
    tt.ok(ms < CROSS_INSTANCE_MS, `B accepts the new partner's token after ${Math.round(ms)} ms (last: ${last})`)
  })

  t.test('a partner disabled through A is refused by B within 5 s', async (tt) => {
    const key = makeKey('mi-disable')
    const issuer = await createPartner(A, 'mi-disable', key)
    const token = await mint(key, { iss: issuer, sub: 'u' })
    tt.equal((await msUntil(() => me(B, token), 'ok')).last, 'ok', 'B serves the partner first (and caches the verification)')
    await patchPartner(A, 'mi-disable', { status: 'disabled' })
    tt.equal(await outcome(await me(A, token)), 'partner_disabled', 'A: on its very next request')
    const { ms, last } = await msUntil(() => me(B, token), 'partner_disabled')
    tt.ok(ms < CROSS_INSTANCE_MS, `B refuses partner_disabled after ${Math.round(ms)} ms (last: ${last})`)
  })

  t.test('a new static key set through A holds on B within 5 s', async (tt) => {
    const oldKey = makeKey('mi-rotate-old')
    const newKey = makeKey('mi-rotate-new')
    const issuer = await createPartner(A, 'mi-rotate', oldKey)
    const oldToken = await mint(oldKey, { iss: issuer, sub: 'u' })
    const newToken = await mint(newKey, { iss: issuer, sub: 'u' })
    tt.equal((await msUntil(() => me(B, oldToken), 'ok')).last, 'ok')
    tt.equal(await outcome(await me(B, newToken)), 'invalid_signature', 'B: the new key is not trusted yet')
    await patchPartner(A, 'mi-rotate', { jwtPublicKey: newKey.spkiPem })
    const { ms, last } = await msUntil(() => me(B, oldToken), 'invalid_signature')
    tt.ok(ms < CROSS_INSTANCE_MS, `B refuses the old key's token after ${Math.round(ms)} ms (last: ${last})`)
    tt.equal(await outcome(await me(B, newToken)), 'ok', "B accepts the new key's token")
  })

  t.test('an audience set through A holds on B within 5 s', async (tt) => {
    const key = makeKey('mi-audience')
    const issuer = await createPartner(A, 'mi-audience', key)
    const bare = await mint(key, { iss: issuer, sub: 'u' })
    const withAud = await mint(key, { iss: issuer, sub: 'u', aud: 'gatehouse' })
    tt.equal((await msUntil(() => me(B, bare), 'ok')).last, 'ok')
    await patchPartner(A, 'mi-audience', { jwtAudience: 'gatehouse' })
    const { ms, last } = await msUntil(() => me(B, bare), 'audience_mismatch')
    tt.ok(ms < CROSS_INSTANCE_MS, `B refuses audience_mismatch after ${Math.round(ms)} ms (last: ${last})`)
    tt.equal(await outcome(await me(B, withAud)), 'ok')
  })

  t.test(
    'a partner deleted and re-created through A between two polls of B is served by B as re-created',
    async (tt) => {
      const oldKey = makeKey('mi-recreate-old')
      const newKey = makeKey('mi-recreate-new')
      const issuer = await createPartner(A, 'mi-recreate', oldKey)
      const oldToken = await mint(oldKey, { iss: issuer, sub: 'u' })
      tt.equal((await msUntil(() => me(B, oldToken), 'ok')).last, 'ok', 'B has cached the partner at version 1')
      // Disable, delete and re-create (version 1 again, another key) faster than B polls.
      await patchPartner(A, 'mi-recreate', { status: 'disabled' })
      tt.equal((await fetch(`${A.url}/admin/partners/mi-recreate`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status, 204)
      await createPartner(A, 'mi-recreate', newKey)
      // B accepting the new key's token is the event that shows it loaded the re-created record.
      const { ms, last } = await msUntil(async () => me(B, await mint(newKey, { iss: issuer, sub: 'u' })), 'ok')
      tt.ok(ms < CROSS_INSTANCE_MS, `B accepts the new key's token after ${Math.round(ms)} ms (last: ${last})`)
      tt.equal(await outcome(await me(B, oldToken)), 'invalid_signature', "B refuses the deleted partner's old key")
    },
  )

  /** How many /me tokens `server` has verified as valid for `partnerId` (its metrics). */
  async function okVerifications(server: ChildServer, partnerId: string): Promise<number> {
    const text = await (await fetch(`${server.url}/metrics`)).text()
    const match = new RegExp(`^gatehouse_token_verifications_total\\{code="ok",partner="${partnerId}"\\} (\\d+)$`, 'm').exec(text)
    return match ? Number(match[1]) : 0
  }

  t.test('a partner disabled and deleted through A while B still holds it: B answers /me by the old or the new record, never a 5xx', async (tt) => {
    // B learns of the delete at its next poll; a request landing before that passes verification against the
    // old record, and its user write meets the foreign key of a partner that no longer exists.
    let raced = 0
    for (let attempt = 0; attempt < 5 && raced === 0; attempt++) {
      const id = `mi-gone-${attempt}`
      const key = makeKey(id)
      const issuer = await createPartner(A, id, key)
      const returning = await mint(key, { iss: issuer, sub: 'returning' })
      tt.equal((await msUntil(() => me(B, returning), 'ok')).last, 'ok', 'B serves the partner and has provisioned a user')
      const verifiedBefore = await okVerifications(B, id)
      await patchPartner(A, id, { status: 'disabled' })
      const deleted = await fetch(`${A.url}/admin/partners/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
      tt.equal(deleted.status, 204)
      for (const token of [await mint(key, { iss: issuer, sub: 'new' }), returning]) {
        const res = await me(B, token)
        const code = await outcome(res)
        tt.ok(res.status < 500, `B answers ${res.status} ${code}, not a 5xx`)
        // partner_disabled: B polled between the disable and the delete (the record it then held).
        tt.ok(['unknown_issuer', 'partner_disabled'].includes(code), `B answers by the old or the new record (${code})`)
      }
      if ((await okVerifications(B, id)) > verifiedBefore) raced++
    }
    tt.ok(raced > 0, 'B verified a token against the deleted record it still held: the race happened')
  })

  t.test('40 concurrent first /me requests for one new sub over both instances: all 200, one user', async (tt) => {
    const key = makeKey('mi-jit')
    const issuer = await createPartner(A, 'mi-jit', key)
    // Both instances know the partner first (through another sub, so the racer stays new).
    const warm = await mint(key, { iss: issuer, sub: 'warm-up' })
    for (const server of [A, B]) tt.equal((await msUntil(() => me(server, warm), 'ok')).last, 'ok')
    const token = await mint(key, { iss: issuer, sub: 'racer', email: 'racer@example.com' })
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => me(i % 2 === 0 ? A : B, token)))
    tt.same(new Set(responses.map((r) => r.status)), new Set([200]), 'all 200')
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { user: { id: string; email: string } }[]
    tt.equal(new Set(bodies.map((b) => b.user.id)).size, 1, 'all answered with one user')
    const rows = await pgQuery<{ n: number }>("select count(*)::int as n from users where partner_id = 'mi-jit' and external_user_id = 'racer'", [], schema)
    tt.equal(rows[0]!.n, 1, 'exactly one row')
    tt.equal(bodies[0]!.user.email, 'racer@example.com')
  })

  t.test('an API key revoked through A is refused by B within 5 s', async (tt) => {
    const key = makeKey('mi-apikey')
    await createPartner(A, 'mi-apikey', key)
    const created = await fetch(`${A.url}/admin/partners/mi-apikey/api-keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    const { id: keyId, key: apiKey } = (await created.json()) as { id: string; key: string }
    const lookup = () => fetch(`${B.url}/integrations/users/nobody`, { headers: { authorization: `Bearer ${apiKey}` } })
    tt.equal((await msUntil(lookup, 'not_found')).last, 'not_found', 'B accepts the key (and finds no such user)')
    const revoked = await fetch(`${A.url}/admin/partners/mi-apikey/api-keys/${keyId}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    tt.equal(revoked.status, 204)
    const { ms, last } = await msUntil(lookup, 'unauthorized')
    tt.ok(ms < CROSS_INSTANCE_MS, `B refuses the revoked key after ${Math.round(ms)} ms (last: ${last})`)
  })
}
