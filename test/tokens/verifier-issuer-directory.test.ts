// The issuer directory: routing by iss and by id, reloads only when the store's revision moves, entries kept per record
// version, re-created and removed partners forgotten by the JWKS cache, serialised syncs, polling, and the key views.
import t, { type Test } from 'tap'
import type { PartnerRecord } from '../../src/storage/types.js'
import { createIssuerDirectory, type JwksCacheLike } from '../../src/tokens/issuer-directory.js'
import { createJwksCache, type JwksView, type KeyLocation } from '../../src/tokens/jwks-cache.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { partnerRecord } from '../helpers/token-core.js'

const key = makeKey('dir-a')
const key2 = makeKey('dir-b')
const k1 = makeKey('k1')
const START = Date.UTC(2030, 0, 1)

/** A partner store held in memory that counts its reads; `set` is a write (the revision moves). */
function store(initial: PartnerRecord[], revision = 1) {
  const s = {
    records: initial,
    revision,
    lists: 0,
    revisions: 0,
    failList: null as Error | null,
    failRevision: null as Error | null,
    set(records: PartnerRecord[]) {
      s.records = records
      s.revision++
    },
    source: {
      list: async () => {
        s.lists++
        if (s.failList) throw s.failList
        return s.records
      },
      revision: async () => {
        s.revisions++
        if (s.failRevision) throw s.failRevision
        return s.revision
      },
    },
  }
  return s
}

/** A real JWKS cache that records what the directory asks of it. */
function recordingJwks(clock = { now: START }) {
  const real = createJwksCache({ allowPrivateNetwork: true, now: () => clock.now })
  const calls = { forPartner: [] as [string, KeyLocation][], forget: [] as string[] }
  const jwks: JwksCacheLike = {
    forPartner(id, location) {
      calls.forPartner.push([id, location])
      return real.forPartner(id, location)
    },
    forget(id) {
      calls.forget.push(id)
      real.forget(id)
    },
  }
  return { jwks, calls, clock }
}

async function setup(records: PartnerRecord[], revision = 1) {
  const st = store(records, revision)
  const rec = recordingJwks()
  const directory = createIssuerDirectory(st.source, rec.jwks)
  await directory.sync()
  return { st, ...rec, directory }
}

const staticPartner = (id: string, over: Partial<PartnerRecord> = {}) => partnerRecord({ id, jwtPublicKey: key.spkiPem, ...over })

t.test('routes by iss and by id; anything else is undefined', async (tt) => {
  const a = staticPartner('a')
  const b = partnerRecord({ id: 'b', jwtIssuer: 'https://issuer-of-b.example/', jwksUrl: 'http://127.0.0.1:1/jwks' })
  const s = await setup([a, b])
  tt.equal(s.directory.byIssuer('https://a.example')?.record, a)
  tt.equal(s.directory.byIssuer('https://issuer-of-b.example/')?.record, b)
  tt.equal(s.directory.byId('a'), s.directory.byIssuer('https://a.example'), 'one entry under both keys')
  tt.equal(s.directory.byId('b')?.record, b)
  tt.equal(s.directory.byIssuer('https://issuer-of-b.example'), undefined, 'iss compared exactly')
  tt.equal(s.directory.byIssuer('a'), undefined, 'an id is not an issuer')
  tt.equal(s.directory.byId('https://a.example'), undefined, 'an issuer is not an id')
  tt.equal(s.directory.byId('c'), undefined)
  tt.match(s.directory.byId('a')!.keys, { kind: 'static', bits: 2048 })
  tt.equal(s.directory.byId('b')!.keys.kind, 'jwks')
})

t.test('before the first sync the directory is empty; a store at revision 0 or -1 is still loaded once it moves', async (tt) => {
  const st = store([staticPartner('a')], 0)
  const directory = createIssuerDirectory(st.source, recordingJwks().jwks)
  tt.equal(directory.byId('a'), undefined, 'nothing until sync')
  await directory.sync()
  tt.ok(directory.byId('a'), 'revision 0 is a revision like any other')
  tt.equal(st.lists, 1)
  await directory.sync()
  tt.equal(st.lists, 1, 'unchanged revision: no list')
  tt.equal(st.revisions, 2)

  const cold = store([staticPartner('a')], -1)
  const other = createIssuerDirectory(cold.source, recordingJwks().jwks)
  await other.sync()
  tt.equal(cold.lists, 0, 'the revision the directory starts from is -1')
  cold.set([staticPartner('a')])
  await other.sync()
  tt.ok(other.byId('a'))
})

t.test('a record keeps its entry while its version stands; a new version gets a new entry', async (tt) => {
  const a = staticPartner('a')
  const b = staticPartner('b', { jwtPublicKey: key2.spkiPem })
  const s = await setup([a, b])
  const entryA = s.directory.byId('a')
  const entryB = s.directory.byId('b')
  s.st.set([{ ...a }, { ...b, name: 'Renamed', version: 2 }])
  await s.directory.sync()
  tt.equal(s.st.lists, 2)
  tt.equal(s.directory.byId('a'), entryA, 'the same version: the very same entry')
  tt.not(s.directory.byId('b'), entryB, 'a new version: a new entry')
  tt.equal(s.directory.byId('b')!.record.name, 'Renamed')
  tt.equal(s.directory.byIssuer('https://b.example')!.record.name, 'Renamed', 'by issuer too')
  tt.same(s.calls.forget, [], 'nothing forgotten')
})

t.test('an issuer change routes the new iss and drops the old', async (tt) => {
  const a = staticPartner('a')
  const s = await setup([a])
  s.st.set([{ ...a, jwtIssuer: 'https://new-a.example', version: 2 }])
  await s.directory.sync()
  tt.equal(s.directory.byIssuer('https://a.example'), undefined)
  tt.equal(s.directory.byIssuer('https://new-a.example')?.record.id, 'a')
})

t.test('a removed partner is gone and forgotten by the JWKS cache; a disabled one stays routed', async (tt) => {
  const a = staticPartner('a')
  const b = partnerRecord({ id: 'b', jwksUrl: 'http://127.0.0.1:1/jwks' })
  const s = await setup([a, b])
  s.st.set([{ ...a, status: 'disabled', version: 2 }])
  await s.directory.sync()
  tt.equal(s.directory.byId('b'), undefined)
  tt.equal(s.directory.byIssuer('https://b.example'), undefined)
  tt.same(s.calls.forget, ['b'], 'only the removed partner is forgotten')
  tt.equal(s.directory.byId('a')!.record.status, 'disabled', 'a disabled partner is routed, the verifier refuses it')
  s.st.set([])
  await s.directory.sync()
  tt.same(s.calls.forget, ['b', 'a'])
  tt.equal(s.directory.byId('a'), undefined)
})

t.test('a partner re-created under the same id starts afresh: JWKS forgotten, static usage not inherited', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const j = partnerRecord({ id: 'j', jwksUrl: server.url })
  const a = staticPartner('a')
  const s = await setup([j, a])
  const entryJ = s.directory.byId('j')!
  if (entryJ.keys.kind !== 'jwks') throw new Error('a JWKS partner')
  tt.ok((await entryJ.keys.source.resolve('k1')).ok)
  tt.equal(server.requests, 1)
  const entryA = s.directory.byId('a')!
  if (entryA.keys.kind !== 'static') throw new Error('a static partner')
  entryA.keys.candidates[0]!.usage.lastVerifiedAt = START

  const later = '2031-01-01T00:00:00.000Z'
  s.st.set([{ ...j, createdAt: later }, { ...a, createdAt: later }])
  await s.directory.sync()
  tt.same(s.calls.forget.sort(), ['a', 'j'], 'both re-created ids are forgotten')
  const newJ = s.directory.byId('j')!
  tt.not(newJ, entryJ)
  if (newJ.keys.kind !== 'jwks') throw new Error('a JWKS partner')
  tt.not(newJ.keys.source, entryJ.keys.source, 'a new key source')
  tt.equal(newJ.keys.source.view().fetchedAt, null, 'that starts cold')
  tt.ok((await newJ.keys.source.resolve('k1')).ok)
  tt.equal(server.requests, 2)
  tt.equal(s.directory.keyView('a')!.keys[0]!.lastVerifiedAt, null, 'the same key, but a new partner: no usage carried over')
  tt.not(s.directory.byId('a'), entryA)
})

t.test('a new version with the same static key keeps its usage record; a new key or a JWKS partner turning static starts afresh', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const a = staticPartner('a')
  const j = partnerRecord({ id: 'j', jwksUrl: server.url })
  const s = await setup([a, j])
  const entryA = s.directory.byId('a')!
  if (entryA.keys.kind !== 'static') throw new Error('a static partner')
  const usage = entryA.keys.candidates[0]!.usage
  s.st.set([{ ...a, name: 'Renamed', version: 2 }, { ...j, jwksUrl: null, jwtPublicKey: key.spkiPem, version: 2 }])
  await s.directory.sync()
  const renamed = s.directory.byId('a')!
  tt.not(renamed, entryA)
  tt.equal(renamed.keys.kind === 'static' && renamed.keys.candidates[0]!.usage, usage, 'the same usage object')
  tt.equal(renamed.keys.kind === 'static' && renamed.keys.candidates[0]!.label, 'the static key')
  tt.ok(renamed.keys.kind === 'static' && Object.isFrozen(renamed.keys.candidates) && Object.isFrozen(renamed.keys.candidates[0]), 'shared, so frozen')
  const switched = s.directory.byId('j')
  tt.ok(switched, 'a JWKS partner switched to a static key is loaded')
  tt.match(switched!.keys, { kind: 'static', bits: 2048 })
  tt.equal(switched!.keys.kind === 'static' && switched!.keys.candidates[0]!.usage.lastVerifiedAt, null)

  s.st.set([{ ...a, jwtPublicKey: key2.spkiPem, version: 3 }, { ...j, version: 3 }])
  await s.directory.sync()
  const rekeyed = s.directory.byId('a')!
  tt.not(rekeyed.keys.kind === 'static' && rekeyed.keys.candidates[0]!.usage, usage, 'a new key, a new usage record')
  tt.ok(rekeyed.keys.kind === 'static' && rekeyed.keys.candidates[0]!.key.equals(key2.publicKey))
  tt.equal(s.directory.byId('j')!.keys.kind, 'jwks', 'and back to its JWKS')
})

t.test('a stored key that no longer imports leaves its partner out and the others in', async (tt) => {
  const bad = staticPartner('bad', { jwtPublicKey: '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' })
  const weak = staticPartner('weak', { jwtPublicKey: makeKey('weak', 1024).spkiPem })
  const s = await setup([bad, staticPartner('a'), weak])
  tt.equal(s.directory.byId('bad'), undefined)
  tt.equal(s.directory.byIssuer('https://bad.example'), undefined)
  tt.equal(s.directory.byId('weak'), undefined, 'a weak stored key too')
  tt.ok(s.directory.byId('a'))
})

t.test('where a JWKS partner publishes its keys: discovery document first, else the JWKS URL', async (tt) => {
  const direct = partnerRecord({ id: 'direct', jwksUrl: 'http://127.0.0.1:1/jwks' })
  const oidc = partnerRecord({
    id: 'oidc',
    jwtIssuer: 'https://login.oidc.example/',
    jwksUrl: 'http://127.0.0.1:1/ignored',
    openidConfigurationUrl: 'http://127.0.0.1:1/.well-known/openid-configuration',
  })
  const neither = partnerRecord({ id: 'neither' })
  const s = await setup([direct, oidc, neither])
  tt.same(s.calls.forPartner, [
    ['direct', 'http://127.0.0.1:1/jwks'],
    ['oidc', { openidConfigurationUrl: 'http://127.0.0.1:1/.well-known/openid-configuration', issuer: 'https://login.oidc.example/' }],
    ['neither', ''],
  ])
  tt.match(s.directory.keyView('oidc'), { source: 'jwks', openidConfigurationUrl: 'http://127.0.0.1:1/.well-known/openid-configuration', jwksUrl: null })
  tt.match(s.directory.keyView('direct'), { source: 'jwks', openidConfigurationUrl: null, jwksUrl: 'http://127.0.0.1:1/jwks' })
})

t.test('a failed load changes nothing and is retried at the next sync, though the revision did not move', async (tt) => {
  const s = await setup([staticPartner('a')])
  s.st.set([staticPartner('b')])
  s.st.failList = new Error('store down')
  await tt.rejects(s.directory.sync(), { message: 'store down' })
  tt.ok(s.directory.byId('a'), 'the last good load still answers')
  tt.equal(s.directory.byId('b'), undefined)
  s.st.failList = null
  await s.directory.sync()
  tt.equal(s.directory.byId('a'), undefined)
  tt.ok(s.directory.byId('b'))
})

t.test('syncs are serialised: a later sync runs after an earlier one, even a failed one, and the newest load wins', async (tt) => {
  const st = store([staticPartner('a')])
  const directory = createIssuerDirectory(st.source, recordingJwks().jwks)
  let release!: () => void
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const order: string[] = []
  const slow = st.source.list
  st.source.list = async () => {
    const records = await slow()
    order.push(`list ${records.map((r) => r.id).join(',')}`)
    if (records[0]?.id === 'a') {
      await gate
      order.push('released')
    }
    return records
  }
  const first = directory.sync()
  // Let the first load reach its list before the store changes.
  while (st.lists === 0) await new Promise<void>((resolve) => setImmediate(resolve))
  st.set([staticPartner('b')])
  const second = directory.sync()
  release()
  await Promise.all([first, second])
  tt.same(order, ['list a', 'released', 'list b'], 'the second load waited for the first')
  tt.equal(directory.byId('a'), undefined, 'the older load did not win')
  tt.ok(directory.byId('b'))

  st.failRevision = new Error('revision down')
  const failing = directory.sync()
  const after = directory.sync()
  await tt.rejects(failing, { message: 'revision down' })
  await tt.rejects(after, { message: 'revision down' }, 'each queued sync runs its own load')
  st.failRevision = null
  st.set([staticPartner('c')])
  await directory.sync()
  tt.ok(directory.byId('c'), 'a sync queued behind failures still loads')
})

/** Replaces the global interval timer for one test: the directory's polling is driven by hand. */
function fakeIntervals(tt: Test) {
  const real = { setInterval: globalThis.setInterval, clearInterval: globalThis.clearInterval }
  const timers: { fn: () => void; ms: number; unrefed: boolean; cleared: boolean }[] = []
  globalThis.setInterval = ((fn: () => void, ms: number) => {
    const timer = { fn, ms, unrefed: false, cleared: false }
    timers.push(timer)
    return { unref: () => ((timer.unrefed = true), undefined), timer }
  }) as unknown as typeof setInterval
  globalThis.clearInterval = ((handle: { timer?: { cleared: boolean } } | undefined) => {
    if (handle?.timer) handle.timer.cleared = true
  }) as typeof clearInterval
  tt.teardown(() => {
    globalThis.setInterval = real.setInterval
    globalThis.clearInterval = real.clearInterval
  })
  return timers
}

t.test('polling syncs every interval on an unref’d timer, reports failures to onError, and stops', async (tt) => {
  const s = await setup([staticPartner('a')])
  const timers = fakeIntervals(tt)
  s.directory.stop() // before polling: nothing to stop, and no error
  const errors: unknown[] = []
  s.directory.startPolling(250, (err) => errors.push(err))
  tt.equal(timers.length, 1)
  tt.equal(timers[0]!.ms, 250)
  tt.equal(timers[0]!.unrefed, true, 'polling never holds the process open')

  s.st.set([staticPartner('b')])
  timers[0]!.fn()
  await s.directory.sync()
  tt.ok(s.directory.byId('b'), 'a tick syncs')

  const boom = new Error('store down')
  s.st.failRevision = boom
  timers[0]!.fn()
  await s.directory.sync().catch(() => undefined)
  tt.same(errors, [boom], 'a failed tick reaches onError, and is not an unhandled rejection')

  tt.equal(timers[0]!.cleared, false)
  s.directory.stop()
  tt.equal(timers[0]!.cleared, true, 'stop clears the timer')
})

t.test('key views: static and JWKS, unknown ids undefined; refreshKeys refetches a JWKS', async (tt) => {
  const server = await startJwksServer(tt, [k1.publicJwk])
  const s = await setup([staticPartner('a'), partnerRecord({ id: 'j', jwksUrl: server.url })])
  tt.equal(s.directory.keyView('x'), undefined)
  tt.equal(await s.directory.refreshKeys('x'), undefined)
  const staticView = { source: 'static', keys: [{ kid: null, alg: 'RS256', bits: 2048, usable: true, reason: null, lastVerifiedAt: null }] }
  tt.same(s.directory.keyView('a'), staticView)
  tt.same(await s.directory.refreshKeys('a'), staticView, 'a static key has nothing to refresh')
  const entry = s.directory.byId('a')!
  if (entry.keys.kind !== 'static') throw new Error('a static partner')
  entry.keys.candidates[0]!.usage.lastVerifiedAt = START + 1500
  tt.equal(s.directory.keyView('a')!.keys[0]!.lastVerifiedAt, '2030-01-01T00:00:01.500Z')
  tt.equal((await s.directory.refreshKeys('a'))!.keys[0]!.lastVerifiedAt, '2030-01-01T00:00:01.500Z')

  const cold = s.directory.keyView('j') as JwksView
  tt.match(cold, { source: 'jwks', jwksUrl: server.url, fetchedAt: null, keys: [] })
  tt.equal(server.requests, 0, 'a view fetches nothing')
  const refreshed = (await s.directory.refreshKeys('j')) as JwksView
  tt.equal(server.requests, 1)
  tt.match(refreshed, { source: 'jwks', fetchedAt: new Date(START).toISOString(), keys: [{ kid: 'k1', usable: true }] })
  tt.same(s.directory.keyView('j'), refreshed)
})
