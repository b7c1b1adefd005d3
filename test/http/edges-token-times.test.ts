// The time rows of token verification pinned at the exact second (fake clock), under the default and a non-default skew,
// and the result cache never serving a token past its expiry.
import t, { type Test } from 'tap'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { createPartner } from '../helpers/partners.js'
import { type Build, forEachStore } from '../helpers/stores.js'

const ISSUER = 'https://times.example'
const SHORT_ISSUER = 'https://short.example'
/** The default lifetime maximum, and a partner's own smaller one: neither may be hard-coded. */
const DEFAULT_MAX_LIFETIME = 3600
const SHORT_MAX_LIFETIME = 120

/** A /me call reduced to what the boundary tests compare: 200, or the refusal code. */
type Outcome = 200 | string

async function setup(build: Build, tt: Test, skew: number | undefined) {
  const built = await build(tt, skew === undefined ? {} : { env: { CLOCK_SKEW_SECONDS: String(skew) } })
  const key = makeKey('times')
  await createPartner(built.app, { id: 'times', jwtIssuer: ISSUER, jwtPublicKey: key.spkiPem })
  await createPartner(built.app, { id: 'short', jwtIssuer: SHORT_ISSUER, jwtPublicKey: key.spkiPem, maxTokenLifetimeSeconds: SHORT_MAX_LIFETIME })
  let serial = 0
  /** Mints a token with exactly these times (a fresh `sub` each, so no result is reused across cases). */
  const token = (times: { iat?: number; exp: number; nbf?: number }, iss = ISSUER) => mint(key, { iss, sub: `user-${serial++}`, ...times })
  const outcome = async (tokenText: string): Promise<Outcome> => {
    const res = await built.app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${tokenText}` } })
    return res.statusCode === 200 ? 200 : res.json().code
  }
  return { ...built, token, outcome, now: Math.floor(built.clock.now / 1000) }
}

for (const skew of [undefined, 7] as const) {
  const s = skew ?? 60
  const named = skew === undefined ? 'the default skew (60 s)' : `CLOCK_SKEW_SECONDS=${skew}`

  forEachStore(t, `exp is refused at exactly now − skew and accepted one second later, under ${named}`, async (tt, build) => {
    const { token, outcome, now } = await setup(build, tt, skew)
    tt.equal(await outcome(await token({ iat: now - s - 600, exp: now - s })), 'token_expired', 'exp = now − skew')
    tt.equal(await outcome(await token({ iat: now - s - 599, exp: now - s + 1 })), 200, 'exp = now − skew + 1')
  })

  forEachStore(t, `iat is accepted at exactly now + skew and refused one second later, under ${named}`, async (tt, build) => {
    const { token, outcome, now } = await setup(build, tt, skew)
    tt.equal(await outcome(await token({ iat: now + s, exp: now + s + 600 })), 200, 'iat = now + skew')
    tt.equal(await outcome(await token({ iat: now + s + 1, exp: now + s + 601 })), 'token_not_yet_valid', 'iat = now + skew + 1')
  })

  forEachStore(t, `nbf is accepted at exactly now + skew and refused one second later, under ${named}`, async (tt, build) => {
    const { token, outcome, now } = await setup(build, tt, skew)
    tt.equal(await outcome(await token({ iat: now, nbf: now + s, exp: now + 600 })), 200, 'nbf = now + skew')
    tt.equal(await outcome(await token({ iat: now, nbf: now + s + 1, exp: now + 600 })), 'token_not_yet_valid', 'nbf = now + skew + 1')
  })

  forEachStore(t, `a cached result is served up to exp + skew − 1 s over HTTP and refused token_expired at exp + skew, under ${named}`, async (tt, build) => {
    const { app, clock, token, outcome, now } = await setup(build, tt, skew)
    const exp = now + 120
    const cached = await token({ iat: now, exp })
    tt.equal(await outcome(cached), 200, 'first use')
    tt.equal(app.services.verifier.cacheStats().entries, 1, 'the result is cached')
    clock.now = (exp + s - 1) * 1000
    tt.equal(await outcome(cached), 200, 'one second before exp + skew')
    clock.now = (exp + s) * 1000
    tt.equal(await outcome(cached), 'token_expired', 'at exp + skew, though its result was cached')
  })
}

forEachStore(t, 'exp − iat equal to the partner maximum is accepted and one second more is refused, for the default and a partner-set maximum', async (tt, build) => {
  const { token, outcome, now } = await setup(build, tt, undefined)
  tt.equal(await outcome(await token({ iat: now, exp: now + DEFAULT_MAX_LIFETIME })), 200, 'lifetime = 3600 (default maximum)')
  tt.equal(await outcome(await token({ iat: now, exp: now + DEFAULT_MAX_LIFETIME + 1 })), 'token_lifetime_too_long', 'lifetime = 3601')
  tt.equal(await outcome(await token({ iat: now, exp: now + SHORT_MAX_LIFETIME }, SHORT_ISSUER)), 200, 'lifetime = 120 (partner maximum)')
  tt.equal(
    await outcome(await token({ iat: now, exp: now + SHORT_MAX_LIFETIME + 1 }, SHORT_ISSUER)),
    'token_lifetime_too_long',
    'lifetime = 121 (partner maximum 120)',
  )
  // Judged on the token's own times, not on the clock: a token issued in the past is held to exp − iat.
  tt.equal(await outcome(await token({ iat: now - 100, exp: now - 100 + SHORT_MAX_LIFETIME + 1 }, SHORT_ISSUER)), 'token_lifetime_too_long', 'issued 100 s ago')
})
