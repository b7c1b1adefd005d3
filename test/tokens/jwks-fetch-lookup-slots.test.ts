// Key-document fetches take a lookup slot for their DNS lookup (HOST_LOOKUP_SLOTS in the process), so a
// partner whose DNS hangs holds at most those threads of libuv's pool and the rest stay free for signature
// checks. The lookups here never answer until the test releases them; no name reaches real DNS.
import type { LookupAddress } from 'node:dns'
import t from 'tap'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { waitFor } from '../helpers/wait-for.js'

// A fetch's deadline is an unref'd timer (AbortSignal.timeout) and the lookups below are bare promises:
// without a live handle the process would exit mid-test, as a server's listening socket prevents in production.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => clearInterval(keepAlive))

/** A resolver whose answers the test gives by hand, recording the names it was asked, in order. */
function handResolver() {
  const asked: string[] = []
  const answers: Array<(addresses: LookupAddress[]) => void> = []
  const resolve = (hostname: string) =>
    new Promise<LookupAddress[]>((done) => {
      asked.push(hostname)
      answers.push(done)
    })
  /** Answers every lookup asked so far with `address`. */
  const answerAll = (address: string) => answers.splice(0).forEach((done) => done([{ address, family: 4 }]))
  return { asked, resolve, answerAll }
}

t.test('guarded fetches: two lookups at once; a third waits, and gives up at its deadline without asking', async (tt) => {
  const hand = handResolver()
  const { fetchJwks, HOST_LOOKUP_SLOTS } = await tt.mockImport<typeof import('../../src/tokens/jwks-fetch.js')>('../../src/tokens/jwks-fetch.js', {
    'node:dns/promises': {
      lookup: async (hostname: string) => {
        throw new Error(`the system resolver was asked for ${hostname}`)
      },
    },
  })
  tt.equal(HOST_LOOKUP_SLOTS, 2)
  const guarded = (timeoutMs: number) => ({ allowPrivateNetwork: false, resolveHost: hand.resolve, timeoutMs })
  const a = fetchJwks('https://a.partner.test/jwks.json', guarded(10_000)).catch((e: unknown) => e)
  const b = fetchJwks('https://b.partner.test/jwks.json', guarded(10_000)).catch((e: unknown) => e)
  await waitFor(() => hand.asked.length, (n) => n === 2)
  const c = await fetchJwks('https://c.partner.test/jwks.json', guarded(150)).catch((e: unknown) => e)
  tt.match(c, { reason: 'timeout' }, 'the waiting fetch times out like any other')
  tt.same(hand.asked, ['a.partner.test', 'b.partner.test'], 'and its name was never looked up')

  // Loopback answers are refused before any connection: the two fetches end and free their slots.
  hand.answerAll('127.0.0.2')
  tt.match(await a, { reason: 'blocked_address' })
  tt.match(await b, { reason: 'blocked_address' })
  const d = fetchJwks('https://d.partner.test/jwks.json', guarded(10_000)).catch((e: unknown) => e)
  await waitFor(() => hand.asked.length, (n) => n === 3)
  tt.same(hand.asked, ['a.partner.test', 'b.partner.test', 'd.partner.test'], 'a later fetch is looked up at once')
  hand.answerAll('127.0.0.2')
  tt.match(await d, { reason: 'blocked_address' })
})

t.test('with private networks allowed, the system resolver takes the same slots', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const hand = handResolver()
  const { fetchJwks } = await tt.mockImport<typeof import('../../src/tokens/jwks-fetch.js')>('../../src/tokens/jwks-fetch.js', {
    'node:dns/promises': { lookup: (hostname: string) => hand.resolve(hostname) },
  })
  const open = (timeoutMs: number) => ({ allowPrivateNetwork: true, timeoutMs })
  const url = (name: string) => `http://${name}.partner.test:${server.port}/jwks.json`
  const a = fetchJwks(url('a'), open(10_000))
  const b = fetchJwks(url('b'), open(10_000))
  await waitFor(() => hand.asked.length, (n) => n === 2)
  tt.match(await fetchJwks(url('c'), open(150)).catch((e: unknown) => e), { reason: 'timeout' })
  tt.same(hand.asked, ['a.partner.test', 'b.partner.test'])

  // Answered with the test server's loopback address, both fetches complete.
  hand.answerAll('127.0.0.1')
  tt.equal((await a).keys.length, 1)
  tt.equal((await b).keys.length, 1)
})
