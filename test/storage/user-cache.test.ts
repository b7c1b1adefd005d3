// The PostgreSQL store's per-instance user cache on its own (README, "User cache on PostgreSQL"): what it may serve,
// when, and which database answers may fill it when change notices overtake them.
import t from 'tap'
import { MAX_STALENESS_MS, UserCache, userCacheKey } from '../../src/storage/postgres/user-cache.js'
import type { UserRecord } from '../../src/storage/types.js'

const user = (email: string): UserRecord => ({
  id: 'id-1',
  partnerId: 'acme',
  externalUserId: 'u1',
  email,
  displayName: null,
  phone: null,
  countryCode: null,
  locale: null,
  provisionedBy: 'jit',
  tokensValidAfter: null,
  revocationLifetimeSeconds: null,
  createdAt: '2026-11-30T00:00:00.000Z',
  updatedAt: '2026-11-30T00:00:00.000Z',
})
const KEY = userCacheKey('acme', 'u1')

function confirmedCache() {
  const clock = { now: 1_000_000 }
  const cache = new UserCache(() => clock.now)
  cache.confirm(clock.now)
  return { cache, clock }
}

t.test('the key joins partner and user with U+0000, which no stored string holds (the store refuses it)', async (tt) => {
  tt.equal(userCacheKey('acme', 'u1'), 'acme\u0000u1')
  tt.not(userCacheKey('ac', 'meu1'), userCacheKey('acme', 'u1'))
})

t.test('nothing is served before a heartbeat has come back, nor once the newest is older than the bound', async (tt) => {
  const clock = { now: 1_000_000 }
  const cache = new UserCache(() => clock.now)
  cache.filled(KEY, cache.mark(), user('a@example.com'))
  tt.equal(cache.lookup(KEY), undefined, 'never confirmed')
  cache.confirm(clock.now)
  tt.match(cache.lookup(KEY), { email: 'a@example.com' })
  clock.now += MAX_STALENESS_MS
  tt.ok(cache.lookup(KEY), `a heartbeat sent ${MAX_STALENESS_MS} ms ago still vouches`)
  clock.now += 1
  tt.equal(cache.lookup(KEY), undefined, 'one millisecond later it does not')
  cache.confirm(clock.now - 10_000)
  tt.equal(cache.lookup(KEY), undefined, 'an older heartbeat arriving late does not move the confirmation back')
  cache.confirm(clock.now)
  tt.ok(cache.lookup(KEY), 'a fresh one does')
  tt.ok(MAX_STALENESS_MS < 5000, 'inside the 5 s the contract allows')
})

t.test('a read fills the cache unless a notice for its key arrived while it ran', async (tt) => {
  const { cache } = confirmedCache()
  const before = cache.mark()
  cache.invalidate(KEY)
  cache.filled(KEY, before, user('old@example.com'))
  tt.equal(cache.lookup(KEY), undefined, 'the read may have seen the row before the change')
  const after = cache.mark()
  cache.filled(KEY, after, user('new@example.com'))
  tt.match(cache.lookup(KEY), { email: 'new@example.com' }, 'a read that started after the notice fills it')
  const other = userCacheKey('acme', 'u2')
  const started = cache.mark()
  cache.invalidate(KEY)
  cache.filled(other, started, { ...user('b@example.com'), externalUserId: 'u2' })
  tt.ok(cache.lookup(other), "another key's notice does not stop it")
  cache.filled(KEY, cache.mark(), null)
  tt.equal(cache.lookup(KEY), undefined, 'an absent user is not cached')
})

t.test('a notice drops the entry', async (tt) => {
  const { cache } = confirmedCache()
  cache.filled(KEY, cache.mark(), user('a@example.com'))
  cache.invalidate(KEY)
  tt.equal(cache.lookup(KEY), undefined)
})

t.test("this instance's write is cached at once, and reads that started before it can no longer fill the key", async (tt) => {
  const { cache } = confirmedCache()
  cache.filled(KEY, cache.mark(), user('old@example.com'))
  const readStarted = cache.mark()
  const writeStarted = cache.mark()
  cache.written(KEY, writeStarted, user('new@example.com'))
  tt.match(cache.lookup(KEY), { email: 'new@example.com' }, 'the very next request sees the write')
  cache.filled(KEY, readStarted, user('old@example.com'))
  tt.match(cache.lookup(KEY), { email: 'new@example.com' }, 'a read that started before the write did not overwrite it')
  cache.written(KEY, cache.mark(), null)
  tt.equal(cache.lookup(KEY), undefined, 'a delete leaves nothing')
})

t.test("a write overtaken by another instance's notice is not cached: the key is left to the next read", async (tt) => {
  const { cache } = confirmedCache()
  const writeStarted = cache.mark()
  cache.invalidate(KEY)
  cache.written(KEY, writeStarted, user('mine@example.com'))
  tt.equal(cache.lookup(KEY), undefined)
})

t.test('a clear drops everything and stops every read started before it from filling', async (tt) => {
  const { cache } = confirmedCache()
  cache.filled(KEY, cache.mark(), user('a@example.com'))
  const started = cache.mark()
  cache.clear()
  tt.equal(cache.lookup(KEY), undefined)
  cache.filled(KEY, started, user('a@example.com'))
  tt.equal(cache.lookup(KEY), undefined, 'filled by a read from before the clear')
  cache.filled(KEY, cache.mark(), user('b@example.com'))
  tt.match(cache.lookup(KEY), { email: 'b@example.com' })
})

t.test('suspend: nothing served, and nothing from before it comes back with the next heartbeat', async (tt) => {
  const { cache, clock } = confirmedCache()
  cache.filled(KEY, cache.mark(), user('a@example.com'))
  cache.suspend()
  tt.equal(cache.lookup(KEY), undefined)
  cache.confirm(clock.now)
  tt.equal(cache.lookup(KEY), undefined, 'the entry was dropped, not just hidden')
})

t.test('with more keys changed than it remembers, it forgets them all and lets no older read fill any key', async (tt) => {
  const { cache } = confirmedCache()
  const started = cache.mark()
  for (let i = 0; i <= 10_000; i++) cache.invalidate(userCacheKey('acme', `other-${i}`))
  cache.filled(KEY, started, user('a@example.com'))
  tt.equal(cache.lookup(KEY), undefined, 'an untouched key, but the read began before the forgetting')
  const later = cache.mark()
  cache.filled(KEY, later, user('b@example.com'))
  tt.match(cache.lookup(KEY), { email: 'b@example.com' })
  const beforeLast = cache.mark()
  cache.invalidate(userCacheKey('acme', 'other-0'))
  const u3 = userCacheKey('acme', 'u3')
  cache.filled(u3, beforeLast, { ...user('c@example.com'), externalUserId: 'u3' })
  tt.ok(cache.lookup(u3), 'after the forgetting, other keys fill again')
})
