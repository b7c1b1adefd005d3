// New user ids: RFC 9562 version 7 UUIDs carrying their creation time, so they sort in creation order.
import t from 'tap'
import { newUserId } from '../../src/storage/user-id.js'

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('a version 7 UUID whose first 48 bits are the time in milliseconds', async (tt) => {
  const ms = Date.UTC(2026, 10, 30, 12, 0, 0, 123)
  const id = newUserId(ms)
  tt.match(id, V7)
  tt.equal(parseInt(id.slice(0, 8) + id.slice(9, 13), 16), ms)
  tt.equal(newUserId(0).slice(0, 13), '00000000-0000', 'the epoch pads with zeros')
  tt.equal(newUserId(2 ** 48 - 1).slice(0, 13), 'ffffffff-ffff', 'the largest 48-bit time')
})

t.test('ids sort in creation order and never repeat within a millisecond', async (tt) => {
  const ms = Date.now()
  const ids = [newUserId(ms - 1000), newUserId(ms - 1), newUserId(ms), newUserId(ms + 1)]
  tt.same([...ids].sort(), ids)
  const same = new Set(Array.from({ length: 10_000 }, () => newUserId(ms)))
  tt.equal(same.size, 10_000)
  for (const id of same) if (!V7.test(id)) tt.fail(`not a version 7 UUID: ${id}`)
})
