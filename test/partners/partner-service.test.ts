// The partner use-cases over a real SQLite store: create defaults, merge-patches, the retry on a concurrent write,
// deletes, the directory kept in step, and the warnings one fetch of a key URL reports.
import t from 'tap'
import type { PartnerCreate } from '../../src/partners/partner-fields.js'
import { createPartnerService, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, warningsFromKeyView } from '../../src/partners/partner-service.js'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'
import type { IssuerDirectory, KeyView } from '../../src/tokens/issuer-directory.js'
import type { JwksView } from '../../src/tokens/jwks-cache.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'

type Tap = Parameters<typeof tempDbPath>[0]

const JWKS_URL = 'https://acme.example/jwks.json'
const OIDC_URL = 'https://acme.example/.well-known/openid-configuration'

function jwksView(over: Partial<JwksView>): JwksView {
  return {
    source: 'jwks',
    jwksUrl: JWKS_URL,
    openidConfigurationUrl: null,
    fetchedAt: null,
    freshUntil: null,
    lastError: null,
    servingStale: false,
    coolingDownUntil: null,
    keys: [],
    ignoredKeys: 0,
    ...over,
  }
}

const usableKey = { kid: 'k1', alg: 'RS256', bits: 2048, usable: true, reason: null, lastVerifiedAt: null }

/** A directory that records what the service asks of it; refreshKeys answers `view`. */
function recordingDirectory(view: KeyView | undefined = jwksView({ keys: [usableKey] })) {
  const calls: string[] = []
  const directory = {
    sync: async () => {
      calls.push('sync')
    },
    refreshKeys: async (id: string) => {
      calls.push(`refresh:${id}`)
      return view
    },
  } as unknown as IssuerDirectory
  return { directory, calls }
}

async function setup(tt: Tap, view?: KeyView) {
  const store = await openStore({ kind: 'sqlite', path: tempDbPath(tt) })
  tt.teardown(() => store.close())
  const { directory, calls } = recordingDirectory(view)
  const service = createPartnerService({ store, directory, allowPrivateNetwork: false })
  return { store, service, calls }
}

const base: PartnerCreate = { id: 'acme', name: 'Acme', jwtIssuer: 'https://acme.example', jwksUrl: JWKS_URL }

t.test('warnings: none for no view, a static key, or a JWKS with a usable key', async (tt) => {
  tt.same(warningsFromKeyView(undefined), [])
  tt.same(warningsFromKeyView({ source: 'static', keys: [{ kid: null, alg: 'RS256', bits: 2048, usable: true, reason: null, lastVerifiedAt: null }] }), [])
  tt.same(warningsFromKeyView(jwksView({ keys: [usableKey] })), [])
})

t.test('warnings: an unreachable JWKS says why, and not that it has no usable key', async (tt) => {
  tt.same(warningsFromKeyView(jwksView({ lastError: 'HTTP 500' })), ['JWKS unreachable: HTTP 500'])
})

t.test('warnings: a JWKS without a usable key says so, and names each skipped key and its reason', async (tt) => {
  const skipped = { ...usableKey, usable: false }
  tt.same(warningsFromKeyView(jwksView({ keys: [] })), ['JWKS has no usable key'])
  tt.same(
    warningsFromKeyView(
      jwksView({
        keys: [
          { ...skipped, kid: 'small', reason: 'weak key: 1024 bits' },
          { ...skipped, kid: null, reason: null },
        ],
      }),
    ),
    ['JWKS has no usable key', 'key small skipped: weak key: 1024 bits', 'key (no kid) skipped: unusable'],
  )
  tt.same(warningsFromKeyView(jwksView({ keys: [usableKey, { ...skipped, kid: 'ec', reason: 'not RSA' }] })), ['key ec skipped: not RSA'])
})

t.test('create fills every omitted field with its default, syncs the directory and fetches the JWKS once', async (tt) => {
  const { service, calls, store } = await setup(tt)
  const { partner, warnings } = await service.create(base, 'admin:ops')
  tt.match(partner, {
    id: 'acme',
    name: 'Acme',
    jwtIssuer: 'https://acme.example',
    jwksUrl: JWKS_URL,
    openidConfigurationUrl: null,
    jwtPublicKey: null,
    jwtAudience: null,
    maxTokenLifetimeSeconds: DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
    requireIssuedAt: true,
    claimMapping: null,
    requiredClaims: null,
    profileUpdate: 'never',
    status: 'active',
    version: 1,
  })
  tt.equal(DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, 3600)
  tt.same(warnings, [])
  tt.same(calls, ['sync', 'refresh:acme'])
  tt.match(await store.audit.list({ partnerId: 'acme', limit: 1 }), [{ actor: 'admin:ops' }])
})

t.test('create keeps every field it is given', async (tt) => {
  const { service } = await setup(tt)
  const given = {
    ...base,
    jwksUrl: null,
    openidConfigurationUrl: OIDC_URL,
    jwtAudience: 'api',
    maxTokenLifetimeSeconds: 600,
    requireIssuedAt: false,
    claimMapping: { email: 'mail' },
    requiredClaims: { tenant: 't1' },
    profileUpdate: 'overwrite',
    status: 'disabled',
  } satisfies PartnerCreate
  const { partner } = await service.create(given, 'cli')
  const { id: _id, ...rest } = given
  tt.match(partner, rest)
})

t.test('create with a static key neither fetches nor warns', async (tt) => {
  const { service, calls } = await setup(tt)
  const result = await service.create({ ...base, jwksUrl: undefined, jwtPublicKey: makeKey('svc').spkiPem }, 'cli')
  tt.same(calls, ['sync'])
  tt.notOk('warnings' in result, 'no warnings member at all')
})

t.test('create reports what the one fetch found wrong, and still creates the partner', async (tt) => {
  const { service, store } = await setup(tt, jwksView({ lastError: 'timeout' }))
  const { warnings } = await service.create({ ...base, jwksUrl: undefined, openidConfigurationUrl: OIDC_URL }, 'cli')
  tt.same(warnings, ['JWKS unreachable: timeout'])
  tt.ok(await store.partners.get('acme'))
})

t.test('create breaking a rule is invalid_request and stores nothing', async (tt) => {
  const { service, store, calls } = await setup(tt)
  await tt.rejects(service.create({ ...base, jwksUrl: undefined }, 'cli'), { code: 'invalid_request', errors: [{ path: '/jwksUrl' }] })
  tt.equal(await store.partners.get('acme'), null)
  tt.same(calls, [])
})

t.test('update merges claimMapping and requiredClaims key by key: null removes a key, other keys replace or add', async (tt) => {
  const { service } = await setup(tt)
  await service.create({ ...base, claimMapping: { email: 'mail', phone: 'tel' }, requiredClaims: { tenant: 't1', plan: 'pro' } }, 'cli')
  const { partner } = await service.update('acme', { claimMapping: { email: null, locale: 'lang' }, requiredClaims: { plan: 'free', region: 'eu' } }, { actor: 'cli' })
  tt.same(partner.claimMapping, { phone: 'tel', locale: 'lang' })
  tt.same(partner.requiredClaims, { tenant: 't1', plan: 'free', region: 'eu' })
  tt.equal(partner.version, 2)
})

t.test('update with null clears a whole object; leaving it out keeps it', async (tt) => {
  const { service } = await setup(tt)
  await service.create({ ...base, claimMapping: { email: 'mail' }, requiredClaims: { tenant: 't1' } }, 'cli')
  const { partner } = await service.update('acme', { claimMapping: null }, { actor: 'cli' })
  tt.equal(partner.claimMapping, null)
  tt.same(partner.requiredClaims, { tenant: 't1' })
  const again = await service.update('acme', { requiredClaims: null }, { actor: 'cli' })
  tt.equal(again.partner.requiredClaims, null)
})

t.test('update merges into an empty object when none is stored, and an entry named __proto__ is an entry', async (tt) => {
  const { service } = await setup(tt)
  await service.create(base, 'cli')
  const { partner } = await service.update('acme', { requiredClaims: JSON.parse('{"__proto__":"x","tenant":"t1"}') }, { actor: 'cli' })
  tt.same(Object.entries(partner.requiredClaims ?? {}).sort(), [['__proto__', 'x'], ['tenant', 't1']])
})

t.test('update judges the rules on the merged record', async (tt) => {
  const { service, store } = await setup(tt)
  await service.create(base, 'cli')
  await tt.rejects(service.update('acme', { openidConfigurationUrl: OIDC_URL }, { actor: 'cli' }), {
    code: 'invalid_request',
    errors: [{ path: '/openidConfigurationUrl' }],
  })
  const { partner } = await service.update('acme', { jwksUrl: null, openidConfigurationUrl: OIDC_URL }, { actor: 'cli' })
  tt.equal(partner.openidConfigurationUrl, OIDC_URL)
  tt.equal((await store.partners.get('acme'))?.version, 2)
})

t.test('update fetches the keys only when it sets a key URL', async (tt) => {
  const { service, calls } = await setup(tt)
  await service.create(base, 'cli')
  calls.length = 0
  const renamed = await service.update('acme', { name: 'Acme Inc' }, { actor: 'cli' })
  tt.same(calls, ['sync'])
  tt.notOk('warnings' in renamed)
  calls.length = 0
  await service.update('acme', { jwksUrl: 'https://acme.example/other.json' }, { actor: 'cli' })
  tt.same(calls, ['sync', 'refresh:acme'])
  calls.length = 0
  await service.update('acme', { jwksUrl: null, jwtPublicKey: makeKey('svc2').spkiPem }, { actor: 'cli' })
  tt.same(calls, ['sync'], 'clearing the URL is not setting one')
  calls.length = 0
  await service.update('acme', { jwtPublicKey: null, openidConfigurationUrl: OIDC_URL }, { actor: 'cli' })
  tt.same(calls, ['sync', 'refresh:acme'])
})

t.test('update naming the key URL it does not use, as null, fetches nothing', async (tt) => {
  const { service, calls } = await setup(tt)
  await service.create(base, 'cli')
  calls.length = 0
  const jwks = await service.update('acme', { name: 'Acme Inc', openidConfigurationUrl: null }, { actor: 'cli' })
  tt.same(calls, ['sync'], 'a JWKS partner: openidConfigurationUrl null is no key URL set')
  tt.notOk('warnings' in jwks)
  await service.update('acme', { jwksUrl: null, openidConfigurationUrl: OIDC_URL }, { actor: 'cli' })
  calls.length = 0
  const discovery = await service.update('acme', { name: 'Acme Ltd', jwksUrl: null }, { actor: 'cli' })
  tt.same(calls, ['sync'], 'a discovery partner: jwksUrl null is no key URL set')
  tt.notOk('warnings' in discovery)
})

t.test('update of a partner that does not exist is not_found', async (tt) => {
  const { service } = await setup(tt)
  await tt.rejects(service.update('nobody', { name: 'X' }, { actor: 'cli' }), { code: 'not_found', message: 'no partner nobody' })
})

t.test('update with an If-Match version that is not the stored one is precondition_failed and writes nothing', async (tt) => {
  const { service, store } = await setup(tt)
  await service.create(base, 'cli')
  await tt.rejects(service.update('acme', { name: 'X' }, { expectedVersion: 7, actor: 'cli' }), {
    code: 'precondition_failed',
    message: 'partner is at version 1, not 7',
  })
  tt.equal((await store.partners.get('acme'))?.name, 'Acme')
  const { partner } = await service.update('acme', { name: 'Y' }, { expectedVersion: 1, actor: 'cli' })
  tt.equal(partner.name, 'Y')
})

/** Wraps the store so the first `times` updates race with another write that lands just before them. */
function racingStore(store: Store, times: number): { store: Store; attempts: () => number } {
  let attempts = 0
  const partners = {
    ...store.partners,
    get: store.partners.get.bind(store.partners),
    update: async (...args: Parameters<Store['partners']['update']>) => {
      attempts++
      if (attempts <= times) await store.partners.update(args[0], { jwtAudience: `race-${attempts}` }, { actor: 'other' })
      return store.partners.update(...args)
    },
  }
  return { store: { ...store, partners } as Store, attempts: () => attempts }
}

t.test('update without If-Match merges again after a concurrent write, up to three attempts', async (tt) => {
  const { store } = await setup(tt)
  const { directory } = recordingDirectory()
  await createPartnerService({ store, directory, allowPrivateNetwork: false }).create(base, 'cli')
  const twice = racingStore(store, 2)
  const { partner } = await createPartnerService({ store: twice.store, directory, allowPrivateNetwork: false }).update('acme', { name: 'Merged' }, { actor: 'cli' })
  tt.equal(twice.attempts(), 3)
  tt.match(partner, { name: 'Merged', jwtAudience: 'race-2' }, 'the concurrent write is kept')
  const always = racingStore(store, 3)
  await tt.rejects(createPartnerService({ store: always.store, directory, allowPrivateNetwork: false }).update('acme', { name: 'Lost' }, { actor: 'cli' }), {
    code: 'precondition_failed',
  })
  tt.equal(always.attempts(), 3, 'gives up after the third attempt')
})

t.test('update with If-Match losing a race is precondition_failed at once', async (tt) => {
  const { store } = await setup(tt)
  const { directory } = recordingDirectory()
  await createPartnerService({ store, directory, allowPrivateNetwork: false }).create(base, 'cli')
  const racing = racingStore(store, 1)
  await tt.rejects(
    createPartnerService({ store: racing.store, directory, allowPrivateNetwork: false }).update('acme', { name: 'X' }, { expectedVersion: 1, actor: 'cli' }),
    { code: 'precondition_failed', message: 'partner changed concurrently; fetch it and retry' },
  )
  tt.equal(racing.attempts(), 1, 'no second write: the version the caller saw is gone')
})

t.test('update of a partner deleted between the read and the write is not_found', async (tt) => {
  const { store } = await setup(tt)
  const { directory } = recordingDirectory()
  await createPartnerService({ store, directory, allowPrivateNetwork: false }).create({ ...base, status: 'disabled' }, 'cli')
  const partners = {
    ...store.partners,
    get: store.partners.get.bind(store.partners),
    update: async (...args: Parameters<Store['partners']['update']>) => {
      await store.partners.delete('acme', { actor: 'other' })
      return store.partners.update(...args)
    },
  }
  const service = createPartnerService({ store: { ...store, partners } as Store, directory, allowPrivateNetwork: false })
  await tt.rejects(service.update('acme', { name: 'X' }, { actor: 'cli' }), { code: 'not_found', message: 'no partner acme' })
})

t.test('remove: not_found, version mismatch, still active, then the delete and a directory sync', async (tt) => {
  const { service, store, calls } = await setup(tt)
  await tt.rejects(service.remove('nobody', { actor: 'cli' }), { code: 'not_found', message: 'no partner nobody' })
  await service.create(base, 'cli')
  await tt.rejects(service.remove('acme', { actor: 'cli' }), { code: 'conflict', message: 'disable the partner before deleting it' })
  await service.update('acme', { status: 'disabled' }, { actor: 'cli' })
  await tt.rejects(service.remove('acme', { expectedVersion: 1, actor: 'cli' }), { code: 'precondition_failed', message: 'partner is at another version than 1' })
  tt.ok(await store.partners.get('acme'), 'nothing deleted so far')
  calls.length = 0
  await service.remove('acme', { expectedVersion: 2, actor: 'cli' })
  tt.equal(await store.partners.get('acme'), null)
  tt.same(calls, ['sync'])
})
