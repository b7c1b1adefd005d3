// POST /integrations/keys/refresh is spaced per partner at the exact 10 s boundary (fake clock): 429 with Retry-After before, 200 after.
import t from 'tap'
import { build } from '../helpers/build-app.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { createApiKey, createPartner } from '../helpers/partners.js'
import { assertProblem } from '../helpers/problem.js'

t.test("a partner's own JWKS refresh is refused 429 with Retry-After at 9.9 s after the last one and allowed at 10.1 s", async (tt) => {
  const { app, clock } = await build(tt)
  const jwks = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const otherJwks = await startJwksServer(tt, [makeKey('k2').publicJwk])
  await createPartner(app, { id: 'acme', jwtIssuer: 'https://acme.example', jwksUrl: jwks.url })
  await createPartner(app, { id: 'other', jwtIssuer: 'https://other.example', jwksUrl: otherJwks.url })
  const acmeKey = await createApiKey(app, 'acme')
  const otherKey = await createApiKey(app, 'other')
  const refresh = (apiKey: string) => app.inject({ method: 'POST', url: '/integrations/keys/refresh', headers: { authorization: `Bearer ${apiKey}` } })
  const start = clock.now

  tt.equal((await refresh(acmeKey)).statusCode, 200, 'first refresh')
  const fetchesAfterFirst = jwks.requests

  clock.now = start + 9_900
  const early = await refresh(acmeKey)
  assertProblem(tt, early, 429, 'rate_limited', '9.9 s after the last refresh')
  tt.equal(early.headers['retry-after'], '1', 'Retry-After: the 0.1 s left, rounded up to a whole second')
  tt.equal(jwks.requests, fetchesAfterFirst, 'a refused refresh fetches nothing')
  tt.equal((await refresh(otherKey)).statusCode, 200, "another partner's refresh is spaced on its own")

  clock.now = start + 10_100
  const allowed = await refresh(acmeKey)
  tt.equal(allowed.statusCode, 200, '10.1 s after the last refresh (the refused one in between does not restart the wait)')
  tt.equal(jwks.requests, fetchesAfterFirst + 1, 'and it fetched the JWKS')

  clock.now = start + 15_100
  const again = await refresh(acmeKey)
  assertProblem(tt, again, 429, 'rate_limited', '5 s after the refresh at 10.1 s')
  tt.equal(again.headers['retry-after'], '5', 'the wait counts from the last refresh that ran')
})
