// The /me verifier's result cache at the token core: keyed by the token's digest, counted in bytes as entryBytes says,
// least recently used out first, and a result answered only while its partner entry, its key and its expiry stand.
import t from 'tap'
import type { PartnerRecord } from '../../src/storage/types.js'
import { createTokenVerifier } from '../../src/tokens/token-verifier.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey, type TestKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { patchBuiltin } from '../helpers/patch-builtin.js'
import { partnerRecord, SKEW, tokenCore } from '../helpers/token-core.js'

const key = makeKey('vc')
const other = makeKey('vc-other')
const ISS = 'https://cache.example'

/** What the cache counts for one entry: 400 of overhead, then 16 + 2 a character for each string it holds. */
const str = (s: string) => 16 + 2 * s.length
const DIGEST = 43 // a SHA-256 in base64url
const entry = (sub: string, kid: string | null, claims: unknown[] = []) =>
  400 + str('x'.repeat(DIGEST)) + str(sub) + (kid === null ? 0 : str(kid)) + claims.reduce<number>((n, v) => n + (typeof v === 'string' ? str(v) : 16), 0)

async function setup(cacheMaxBytes: number, over: Partial<PartnerRecord> = {}) {
  const record = partnerRecord({ id: 'acme', jwtIssuer: ISS, jwtPublicKey: key.spkiPem, ...over })
  const core = await tokenCore([record])
  const lookups: boolean[] = []
  const verifier = createTokenVerifier({ ...core.options, cacheMaxBytes, onCacheLookup: (hit) => lookups.push(hit) })
  const now = core.nowSec()
  const token = (claims: Record<string, unknown> = {}, options: { omitKid?: boolean; signer?: TestKey } = {}) =>
    mint(options.signer ?? key, { iss: record.jwtIssuer, sub: 'u1', ...claims }, { now, omitKid: options.omitKid ?? true })
  return { record, core, lookups, verifier, now, token }
}

t.test('a verified token is answered from the cache: the same object, a hit counted; cached() counts only hits', async (tt) => {
  const s = await setup(1 << 20)
  const token = await s.token()
  tt.equal(s.verifier.cached(token), undefined)
  tt.same(s.lookups, [], 'a miss of cached() is left for verify to count')
  const first = await s.verifier.verify(token)
  tt.same(s.lookups, [false])
  tt.equal(await s.verifier.verify(token), first)
  tt.same(s.lookups, [false, true])
  tt.equal(s.verifier.cached(token), first)
  tt.same(s.lookups, [false, true, true])
  tt.equal(s.verifier.cached(token.slice(0, -2)), undefined, 'another string: not found')
  tt.same(s.lookups, [false, true, true])
  tt.same(s.verifier.cacheStats(), { entries: 1, bytes: entry('u1', null), maxBytes: 1 << 20 })
})

t.test('verify right after cached() missed the same token neither hashes it again nor looks it up twice', async (tt) => {
  const s = await setup(1 << 20)
  const [a, b] = [await s.token({ sub: 'a' }), await s.token({ sub: 'b' })]
  // Digests of a and b counted through node:crypto itself.
  const digests: string[] = []
  tt.teardown(
    patchBuiltin<(...args: unknown[]) => unknown>('node:crypto', 'hash', (real) => (...args) => {
      if (args[1] === a || args[1] === b) digests.push(args[1] === a ? 'a' : 'b')
      return real(...args)
    }),
  )

  tt.equal(s.verifier.cached(a), undefined)
  const first = await s.verifier.verify(a)
  tt.same(digests, ['a'], 'one digest for the miss and the verification after it')
  tt.same(s.lookups, [false], 'one miss counted')
  tt.equal(s.verifier.cached(a), first, 'cached under that digest')
  tt.equal(s.verifier.cached(b), undefined)
  await s.verifier.verify(a)
  tt.same(s.lookups, [false, true, true], 'another token than the one missed: verify hashes and looks up afresh')
  tt.same(digests, ['a', 'a', 'b', 'a'])
  await s.verifier.verify(b)
  tt.same(digests, ['a', 'a', 'b', 'a', 'b'], 'the slot went to the verify in between: b is hashed again')
  tt.equal(s.verifier.cached(b)?.sub, 'b')
})

t.test('entries are counted by entryBytes: digest, sub, kid and the kept claim values', async (tt) => {
  const s = await setup(1 << 20)
  await s.verifier.verify(await s.token())
  tt.equal(s.verifier.cacheStats().bytes, 522, 'no kid, no profile claims: 400 + 102 + 20')
  await s.verifier.verify(await s.token({ sub: 'user-two' }, { omitKid: false }))
  tt.equal(s.verifier.cacheStats().bytes, 522 + entry('user-two', 'vc'))
  await s.verifier.verify(await s.token({ sub: 'u3', email: 'a@b.co', locale: 7, phone: null, extra: 'not kept' }))
  tt.same(s.verifier.cacheStats(), { entries: 3, bytes: 522 + entry('user-two', 'vc') + entry('u3', null, ['a@b.co', 7, null]), maxBytes: 1 << 20 })
})

t.test('the byte budget evicts the least recently used result', async (tt) => {
  const s = await setup(3 * 522)
  const tokens = await Promise.all(['a1', 'a2', 'a3', 'a4'].map((sub) => s.token({ sub })))
  for (const token of tokens.slice(0, 3)) await s.verifier.verify(token)
  tt.same(s.verifier.cacheStats(), { entries: 3, bytes: 3 * 522, maxBytes: 3 * 522 }, 'exactly full')
  tt.ok(s.verifier.cached(tokens[0]!), 'the oldest is used again, so it is the newest')
  await s.verifier.verify(tokens[3]!)
  tt.same(s.verifier.cacheStats(), { entries: 3, bytes: 3 * 522, maxBytes: 3 * 522 })
  tt.equal(s.verifier.cached(tokens[1]!), undefined, 'the least recently used went')
  tt.ok(s.verifier.cached(tokens[0]!))
  tt.ok(s.verifier.cached(tokens[2]!))
  tt.ok(s.verifier.cached(tokens[3]!))

  const tiny = await setup(521)
  await tiny.verifier.verify(tokens[0]!)
  tt.same(tiny.verifier.cacheStats(), { entries: 0, bytes: 0, maxBytes: 521 }, 'a result larger than the whole budget is not kept')
})

t.test('a result stands until exp + skew, to the millisecond, and is dropped after', async (tt) => {
  const s = await setup(1 << 20)
  const token = await s.token({ exp: s.now + 100 })
  const first = await s.verifier.verify(token)
  s.core.clock.now = (s.now + 100 + SKEW) * 1000 - 1
  tt.equal(s.verifier.cached(token), first)
  s.core.clock.now += 1
  tt.equal(s.verifier.cached(token), undefined)
  tt.equal(s.verifier.cacheStats().entries, 0, 'the stale result was deleted, not just skipped')
  tt.equal(s.verifier.cacheStats().bytes, 0)
  await tt.rejects(s.verifier.verify(token), { code: 'token_expired' })
  tt.same(s.lookups, [false, true, false])
})

t.test('a result stands only while its partner entry does', async (tt) => {
  const s = await setup(1 << 20)
  const token = await s.token()
  const first = await s.verifier.verify(token)
  await s.core.setRecords([{ ...s.record }])
  tt.equal(s.verifier.cached(token), first, 'a reload that keeps the record version keeps the entry')
  await s.core.setRecords([{ ...s.record, name: 'Renamed', version: 2 }])
  tt.equal(s.verifier.cached(token), undefined, 'a new record version: verified again')
  tt.equal(s.verifier.cacheStats().entries, 0)
  const again = await s.verifier.verify(token)
  tt.not(again, first)
  tt.equal(again.partner.record.name, 'Renamed')
  await s.core.setRecords([{ ...s.record, status: 'disabled', version: 3 }])
  await tt.rejects(s.verifier.verify(token), { code: 'partner_disabled' }, 'a partner disabled since is refused at once')
  await s.core.setRecords([])
  tt.equal(s.verifier.cached(token), undefined, 'a removed partner')
})

t.test("with a JWKS, a result stands only while its key is still the JWKS's for its kid", async (tt) => {
  const k1 = makeKey('k1')
  const k2 = makeKey('k2')
  const server = await startJwksServer(tt, [k1.publicJwk, k2.publicJwk])
  const s = await setup(1 << 20, { jwtPublicKey: null, jwksUrl: server.url })
  const token = await s.token({}, { signer: k1, omitKid: false })
  const first = await s.verifier.verify(token)
  tt.equal(first.kid, 'k1')
  tt.equal(s.verifier.cached(token), first, 'the key is current')
  server.setKeys([k2.publicJwk])
  await s.core.directory.refreshKeys('acme')
  tt.equal(s.verifier.cached(token), undefined, 'the kid left the JWKS')
  tt.equal(s.verifier.cacheStats().entries, 0)
  await tt.rejects(s.verifier.verify(token), { code: 'unknown_key' })
})

t.test('recordAcceptance stamps the verifying key with now, cached or not', async (tt) => {
  const s = await setup(1 << 20)
  const token = await s.token()
  const verified = await s.verifier.verify(token)
  tt.equal(verified.keyUsage.lastVerifiedAt, null, 'verify alone stamps nothing')
  s.verifier.recordAcceptance(verified)
  tt.equal(verified.keyUsage.lastVerifiedAt, s.core.clock.now)
  s.core.clock.now += 7_000
  s.verifier.recordAcceptance(s.verifier.cached(token)!)
  tt.equal(s.core.directory.keyView('acme')!.keys[0]!.lastVerifiedAt, new Date(s.core.clock.now).toISOString())
})

t.test('cacheMaxBytes 0: every verify runs in full, nothing is found, nothing is counted', async (tt) => {
  const s = await setup(0)
  const token = await s.token()
  const first = await s.verifier.verify(token)
  const second = await s.verifier.verify(token)
  tt.not(second, first)
  tt.same(second, first, 'the same verdict')
  tt.equal(s.verifier.cached(token), undefined)
  tt.same(s.lookups, [], 'no lookups to count')
  tt.same(s.verifier.cacheStats(), { entries: 0, bytes: 0, maxBytes: 0 })
  await tt.rejects(s.verifier.verify(await s.token({}, { signer: other })), { code: 'invalid_signature' })
  s.core.clock.now += 1_000
  s.verifier.recordAcceptance(first)
  tt.equal(first.keyUsage.lastVerifiedAt, s.core.clock.now)
})

t.test('a refusal is not cached', async (tt) => {
  const s = await setup(1 << 20)
  const token = await s.token({}, { signer: other })
  await tt.rejects(s.verifier.verify(token), { code: 'invalid_signature' })
  await tt.rejects(s.verifier.verify(token), { code: 'invalid_signature' })
  tt.same(s.lookups, [false, false])
  tt.equal(s.verifier.cacheStats().entries, 0)
})
