// assertPartnerRules: the rules that span a partner's fields, each error at its own path, all of them at once.
import t from 'tap'
import { MAX_REQUIRED_CLAIMS } from '../../src/partners/partner-fields.js'
import { assertPartnerRules } from '../../src/partners/partner-rules.js'
import type { PartnerFields } from '../../src/storage/types.js'
import { checkJwksUrl } from '../../src/tokens/network-policy.js'
import { makeKey } from '../helpers/keys.js'
import { partnerFields } from '../helpers/partner-fields.js'

const SOURCES = 'jwksUrl, openidConfigurationUrl, jwtPublicKey'

const fields = (over: Partial<PartnerFields>): PartnerFields =>
  partnerFields({
    name: 'Acme',
    jwtIssuer: 'https://acme.example',
    jwksUrl: null,
    jwtPublicKey: null,
    jwtAudience: null,
    maxTokenLifetimeSeconds: 3600,
    status: 'active',
    ...over,
  })

/** The field errors the rules throw for `f`, or null when they accept it. */
function errorsOf(f: PartnerFields, allowPrivateNetwork = false): { path: string; message: string }[] | null {
  try {
    assertPartnerRules(f, allowPrivateNetwork)
    return null
  } catch (err) {
    const e = err as { code: string; errors: { path: string; message: string }[]; message: string }
    if (e.code !== 'invalid_request') throw err
    return e.errors
  }
}

t.test('each single key source is accepted on its own', async (tt) => {
  tt.equal(errorsOf(fields({ jwksUrl: 'https://acme.example/jwks.json' })), null)
  tt.equal(errorsOf(fields({ openidConfigurationUrl: 'https://acme.example/.well-known/openid-configuration' })), null)
  tt.equal(errorsOf(fields({ jwtPublicKey: makeKey('rules').spkiPem })), null)
})

t.test('no key source is one error at /jwksUrl naming the three sources', async (tt) => {
  tt.same(errorsOf(fields({})), [{ path: '/jwksUrl', message: `one of ${SOURCES} is required` }])
})

t.test('more than one key source is an error at each source after the first set, naming the first', async (tt) => {
  const pem = makeKey('rules').spkiPem
  tt.same(errorsOf(fields({ jwksUrl: 'https://acme.example/jwks.json', openidConfigurationUrl: 'https://acme.example/oidc', jwtPublicKey: pem })), [
    { path: '/openidConfigurationUrl', message: `set only one of ${SOURCES} (jwksUrl is set)` },
    { path: '/jwtPublicKey', message: `set only one of ${SOURCES} (jwksUrl is set)` },
  ])
  tt.same(errorsOf(fields({ openidConfigurationUrl: 'https://acme.example/oidc', jwtPublicKey: pem })), [
    { path: '/jwtPublicKey', message: `set only one of ${SOURCES} (openidConfigurationUrl is set)` },
  ])
})

t.test('both key URLs obey the network policy, each at its own path', async (tt) => {
  tt.same(errorsOf(fields({ jwksUrl: 'http://acme.example/jwks.json' })), [
    { path: '/jwksUrl', message: 'must use https: (http: only with JWKS_ALLOW_PRIVATE_NETWORK=true)' },
  ])
  tt.same(errorsOf(fields({ openidConfigurationUrl: 'https://127.0.0.1/oidc' })), [
    { path: '/openidConfigurationUrl', message: checkJwksUrl('https://127.0.0.1/oidc', false) },
  ])
  tt.equal(errorsOf(fields({ openidConfigurationUrl: 'http://127.0.0.1/oidc' }), true), null, 'the policy follows allowPrivateNetwork')
})

t.test('a PEM that is not a usable RSA public key is an error at /jwtPublicKey', async (tt) => {
  tt.same(errorsOf(fields({ jwtPublicKey: 'not a key' })), [
    { path: '/jwtPublicKey', message: 'key must be a PEM "BEGIN PUBLIC KEY" (SPKI) or "BEGIN RSA PUBLIC KEY" (PKCS#1) block' },
  ])
})

t.test(`at most ${MAX_REQUIRED_CLAIMS} required claims`, async (tt) => {
  const claims = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`c${i}`, 'v']))
  const base = { jwksUrl: 'https://acme.example/jwks.json' }
  tt.equal(errorsOf(fields({ ...base, requiredClaims: claims(MAX_REQUIRED_CLAIMS) })), null)
  tt.equal(errorsOf(fields({ ...base, requiredClaims: null })), null)
  tt.same(errorsOf(fields({ ...base, requiredClaims: claims(MAX_REQUIRED_CLAIMS + 1) })), [
    { path: '/requiredClaims', message: `at most ${MAX_REQUIRED_CLAIMS} claims (${MAX_REQUIRED_CLAIMS + 1} given)` },
  ])
})

t.test('every broken rule is listed at once, and the message joins them path by path', async (tt) => {
  try {
    assertPartnerRules(fields({ jwksUrl: 'ftp://acme.example/jwks', jwtPublicKey: 'nope' }), false)
    tt.fail('the rules accepted a broken record')
  } catch (err) {
    const e = err as { code: string; errors: { path: string; message: string }[]; message: string }
    tt.equal(e.code, 'invalid_request')
    tt.same(
      e.errors.map((x) => x.path),
      ['/jwtPublicKey', '/jwksUrl', '/jwtPublicKey'],
    )
    tt.equal(e.message, e.errors.map((x) => `${x.path}: ${x.message}`).join('; '))
  }
})
