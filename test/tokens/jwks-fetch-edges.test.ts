// fetchJwks at its limits, against real servers on 127.0.0.1: the exact size and status boundaries, the
// deadline (driven by hand through AbortSignal.timeout), sockets and listeners left behind, Cache-Control
// spellings, and the exact message of every refusal.
import { createServer } from 'node:http'
import type { AddressInfo, LookupFunction, Socket } from 'node:net'
import t, { type Test } from 'tap'
import { JwksFetchError, type ResolveHost, createGuardedLookup, fetchJwks } from '../../src/tokens/jwks-fetch.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { withSystemResolverRefused } from '../helpers/system-resolver.js'

const open = { allowPrivateNetwork: true }

/** The error of a fetch expected to fail (a JwksFetchError, or the test fails). */
async function failure(promise: Promise<unknown>): Promise<JwksFetchError> {
  try {
    await promise
  } catch (err) {
    if (err instanceof JwksFetchError) return err
    throw err
  }
  throw new Error('fetch unexpectedly succeeded')
}

/** Replaces AbortSignal.timeout for this test with `make`, recording the deadlines armed. */
function replaceDeadline(tt: Test, make: (ms: number) => AbortSignal): number[] {
  const original = AbortSignal.timeout
  const armed: number[] = []
  AbortSignal.timeout = (ms: number) => {
    armed.push(ms)
    return make(ms)
  }
  tt.teardown(() => {
    AbortSignal.timeout = original
  })
  return armed
}

/** A deadline that never falls by itself: a broken limit shows as a hang (the subtest's own timeout), not a late pass. */
const neverExpires = (tt: Test) => replaceDeadline(tt, () => new AbortController().signal)

/** A JSON JWKS body of exactly `length` bytes. */
function bodyOf(length: number): string {
  const body = `{"keys":[],"p":"${'x'.repeat(length - 18)}"}`
  if (Buffer.byteLength(body) !== length) throw new Error('bad length')
  return body
}

t.test('a body of exactly maxBytes passes and one byte more is too_large, declared or streamed', async (tt) => {
  const server = await startJwksServer(tt)
  const maxBytes = 20
  for (const streamed of [false, true]) {
    for (const length of [maxBytes, maxBytes + 1]) {
      const body = bodyOf(length)
      server.setHandler((_req, res) => {
        if (streamed) {
          // Two writes and no Content-Length: chunked, so the cap is counted while streaming.
          res.write(body.slice(0, 10))
          res.end(body.slice(10))
        } else {
          res.end(body)
        }
      })
      const what = `${length} bytes, ${streamed ? 'streamed' : 'declared'}`
      if (length <= maxBytes) {
        tt.same((await fetchJwks(server.url, { ...open, maxBytes })).keys, [], what)
      } else {
        const err = await failure(fetchJwks(server.url, { ...open, maxBytes }))
        tt.match(err, { reason: 'too_large', message: 'JWKS body exceeds 20 bytes' }, what)
        tt.equal(err.message, 'JWKS body exceeds 20 bytes')
      }
    }
  }
})

t.test('a declared Content-Length over the cap fails at once, without waiting for the body', { timeout: 60_000 }, async (tt) => {
  neverExpires(tt)
  const server = await startJwksServer(tt)
  server.setHandler((_req, res) => {
    res.writeHead(200, { 'content-length': '1000' })
    res.write('{"keys":[]') // and never the rest
  })
  tt.match(await failure(fetchJwks(server.url, { ...open, maxBytes: 100 })), { reason: 'too_large', message: 'JWKS body exceeds 100 bytes' })
  server.setHandler((_req, res) => {
    res.writeHead(200, { 'content-length': '100' })
    res.end(bodyOf(100))
  })
  tt.same((await fetchJwks(server.url, { ...open, maxBytes: 100 })).keys, [], 'a declared length equal to the cap passes')
})

t.test('every 2xx status is a body; any other status that is not a followed redirect is http_status', async (tt) => {
  const server = await startJwksServer(tt)
  for (const status of [200, 201, 203, 299]) {
    server.setHandler((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' })
      res.end('{"keys":[]}')
    })
    tt.same((await fetchJwks(server.url, open)).keys, [], `HTTP ${status}`)
  }
  for (const status of [300, 304, 305, 400, 503]) {
    server.setHandler((_req, res) => {
      res.writeHead(status, { location: '/elsewhere' })
      res.end('{"keys":[]}')
    })
    const before = server.requests
    tt.match(await failure(fetchJwks(server.url, open)), { reason: 'http_status', message: `JWKS answered HTTP ${status}` }, `HTTP ${status}`)
    tt.equal((await failure(fetchJwks(server.url, open))).message, `JWKS answered HTTP ${status}`)
    tt.equal(server.requests - before, 2, `HTTP ${status}: its Location is not followed`)
  }
})

t.test('the request is a GET naming Gatehouse and the JWKS media types', async (tt) => {
  const server = await startJwksServer(tt)
  const seen: { method?: string; ua?: string; accept?: string; path?: string }[] = []
  server.setHandler((req, res) => {
    seen.push({ method: req.method, ua: req.headers['user-agent'], accept: req.headers.accept, path: req.url })
    res.end('{"keys":[]}')
  })
  await fetchJwks(`${server.url}?v=2`, open)
  tt.same(seen, [{ method: 'GET', ua: 'gatehouse-jwks', accept: 'application/json, application/jwk-set+json', path: '/.well-known/jwks.json?v=2' }])
})

t.test('each refusal has its reason, its exact message, and the JwksFetchError name', async (tt) => {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  server.setHandler((req, res) => {
    const routes: Record<string, [number, Record<string, string>, string]> = {
      '/not-json': [200, {}, '{"keys": nope'],
      '/no-keys': [200, {}, '{"kes":[]}'],
      '/ftp': [302, { location: 'ftp://127.0.0.1/jwks.json' }, ''],
      '/bad-location': [302, { location: 'http://[' }, ''],
      '/no-location': [307, {}, ''],
      '/loop': [302, { location: '/loop' }, ''],
    }
    const [status, headers, body] = routes[req.url ?? ''] ?? [404, {}, '']
    res.writeHead(status, headers)
    res.end(body)
  })
  const cases: [() => Promise<unknown>, string, string][] = [
    [() => fetchJwks('not a url', open), 'bad_url', 'JWKS URL is not an absolute URL'],
    [() => fetchJwks('ftp://127.0.0.1/jwks.json', open), 'bad_url', 'JWKS URL must use https: or http:'],
    [() => fetchJwks(`${base}/ftp`, open), 'bad_url', 'redirect target must use https: or http:'],
    [() => fetchJwks(`${base}/bad-location`, open), 'bad_url', 'redirect Location is not a valid URL'],
    [() => fetchJwks(`${base}/no-location`, open), 'http_status', 'JWKS answered HTTP 307 without a Location header'],
    [() => fetchJwks(`${base}/loop`, open), 'too_many_redirects', 'more than 3 redirects'],
    [() => fetchJwks(`${base}/loop`, { ...open, maxRedirects: 0 }), 'too_many_redirects', 'more than 0 redirects'],
    [() => fetchJwks(`${base}/not-json`, open), 'invalid_json', 'JWKS body is not JSON'],
    [() => fetchJwks(`${base}/no-keys`, open), 'invalid_jwks', 'JWKS is not a JSON object with a "keys" array'],
    [() => fetchJwks(`${base}/missing`, open), 'http_status', 'JWKS answered HTTP 404'],
  ]
  for (const [fetch, reason, message] of cases) {
    const err = await failure(fetch())
    tt.equal(err.reason, reason, message)
    tt.equal(err.message, message)
    tt.equal(err.name, 'JwksFetchError')
    tt.ok(err instanceof Error)
  }
  const before = server.requests
  await failure(fetchJwks(`${base}/loop`, { ...open, maxRedirects: 0 }))
  tt.equal(server.requests - before, 1, 'with maxRedirects 0 the first redirect is not followed')
})

t.test('a closed port is a network error naming the host and port and the socket error code', async (tt) => {
  const probe = createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  tt.match(await failure(fetchJwks(`http://127.0.0.1:${port}/jwks.json`, open)), { reason: 'network', message: `cannot reach 127.0.0.1:${port}: ECONNREFUSED` })
})

t.test('an https: URL is fetched over TLS: a plain-HTTP server behind it is a network error', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const err = await failure(fetchJwks(`https://127.0.0.1:${server.port}/jwks.json`, open))
  tt.equal(err.reason, 'network')
  tt.match(err.message, new RegExp(`^cannot reach 127\\.0\\.0\\.1:${server.port}: `))
  tt.equal(server.requests, 0, 'no HTTP request was parsed')
  tt.equal((await fetchJwks(server.url, open)).keys.length, 1, 'the same server answers over http:')
})

t.test('with private networks allowed, names resolve through Node and the guarded resolver is never asked', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const asked: string[] = []
  const resolveHost: ResolveHost = async (hostname) => {
    asked.push(hostname)
    throw new Error('the guarded resolver was asked')
  }
  const doc = await fetchJwks(`http://localhost:${server.port}/jwks.json`, { ...open, resolveHost })
  tt.equal(doc.keys.length, 1)
  tt.same(asked, [])
})

t.test('a resolver error without a code is reported by its message', async (tt) => {
  const resolveHost: ResolveHost = async () => {
    throw new Error('resolver exploded')
  }
  const err = await withSystemResolverRefused(() =>
    fetchJwks('https://jwks.partner.test:8443/jwks.json', { allowPrivateNetwork: false, resolveHost }),
  ).catch((e: unknown) => e)
  tt.match(err, { reason: 'network', message: 'cannot reach jwks.partner.test:8443: resolver exploded' })
  tt.equal((err as Error).message, 'cannot reach jwks.partner.test:8443: resolver exploded')
})

t.test('a deadline already past when a request would start refuses it without connecting', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  let connections = 0
  const counter = (socket: Socket) => {
    connections++
    socket.destroy()
  }
  const probe = createServer()
  probe.on('connection', counter)
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  tt.teardown(() => new Promise((resolve) => probe.close(resolve)))
  const armed = replaceDeadline(tt, () => AbortSignal.abort())
  const port = (probe.address() as AddressInfo).port
  tt.match(await failure(fetchJwks(`http://127.0.0.1:${port}/jwks.json`, open)), { reason: 'timeout', message: 'timed out after 5000 ms' })
  tt.match(await failure(fetchJwks(server.url, { ...open, timeoutMs: 1234 })), { reason: 'timeout', message: 'timed out after 1234 ms' })
  tt.same(armed, [5000, 1234])
  tt.equal(connections, 0, 'no connection was opened')
  tt.equal(server.requests, 0)
})

t.test('a deadline that falls between two redirect hops stops the chain before the next request', async (tt) => {
  const server = await startJwksServer(tt)
  // The clock runs out while the first hop is answered; no abort event fires, so only the check
  // made before each request can see it.
  let expired = false
  replaceDeadline(tt, () => {
    const signal = new AbortController().signal
    Object.defineProperty(signal, 'aborted', { get: () => expired })
    return signal
  })
  const paths: string[] = []
  server.setHandler((req, res) => {
    paths.push(req.url ?? '')
    if (req.url === '/first') {
      expired = true
      res.writeHead(302, { location: '/second' })
      res.end()
    } else {
      res.end('{"keys":[]}')
    }
  })
  tt.match(await failure(fetchJwks(`http://127.0.0.1:${server.port}/first`, open)), { reason: 'timeout', message: 'timed out after 5000 ms' })
  tt.same(paths, ['/first'])
})

t.test('every request stops listening on the deadline once it is closed', { timeout: 60_000 }, async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const counts = { added: 0, removed: 0 }
  let allRemoved: () => void = () => {}
  const done = new Promise<void>((resolve) => {
    allRemoved = resolve
  })
  replaceDeadline(tt, () => {
    const signal = new AbortController().signal
    const add = signal.addEventListener.bind(signal)
    const remove = signal.removeEventListener.bind(signal)
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      counts.added++
      add(...args)
    }
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      counts.removed++
      remove(...args)
      if (counts.removed === 3) allRemoved()
    }
    return signal
  })
  server.setHandler((req, res) => {
    if (req.url === '/a') res.writeHead(301, { location: '/b' })
    else if (req.url === '/b') res.writeHead(308, { location: '/c' })
    else res.writeHead(200)
    res.end(JSON.stringify({ keys: [] }))
  })
  tt.equal((await fetchJwks(`http://127.0.0.1:${server.port}/a`, open)).url, `http://127.0.0.1:${server.port}/c`)
  await done
  tt.same(counts, { added: 3, removed: 3 })
})

t.test('a redirect is not read to its end: its connection is closed at once', { timeout: 60_000 }, async (tt) => {
  // Not by the deadline: that would close it too, but only seconds later.
  neverExpires(tt)
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  let redirectSocket: Socket | undefined
  server.setHandler((req, res) => {
    if (req.url === '/start') {
      redirectSocket = req.socket
      res.writeHead(302, { location: '/jwks' })
      res.write('this body never ends')
      return
    }
    res.end(JSON.stringify({ keys: [] }))
  })
  tt.same((await fetchJwks(`http://127.0.0.1:${server.port}/start`, open)).keys, [])
  const socket = redirectSocket!
  if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve))
  tt.ok(socket.destroyed, 'the client hung up on the redirect')
})

t.test('Cache-Control: each directive is matched whole, quoted or spaced, in any case', async (tt) => {
  const server = await startJwksServer(tt, [])
  const cases: [string, number | null][] = [
    ['max-age=60', 60],
    ['max-age="60"', 60],
    ['max-age = 60', 60],
    ['public,max-age=60', 60],
    ['public,  max-age=60  , private', 60],
    ['max-age=60,public', 60],
    ['xmax-age=60', null],
    ['max-age=60x', null],
    ['max-age=60 x', null],
    ['max-age=', null],
    ['max-age=-1', null],
    ['s-max-age=60', null],
    ['max-age=0', 0],
    ['max-age=007', 7],
    ['NO-STORE', 0],
    ['public,no-store', 0],
    ['private, no-cache', 0],
    ['no-cache ,max-age=60', 0],
    ['max-age=60, no-store', 0],
    ['no-cache="set-cookie", max-age=60', 60],
    ['xno-store, max-age=60', 60],
    ['no-storex, max-age=60', 60],
    ['no-store-ish, max-age=60', 60],
  ]
  for (const [header, expected] of cases) {
    server.setHeaders({ 'cache-control': header })
    tt.equal((await fetchJwks(server.url, open)).maxAgeSeconds, expected, header)
  }
})

t.test('only a leading byte order mark is dropped', async (tt) => {
  const server = await startJwksServer(tt)
  const cases: [string, unknown[]][] = [
    ['\uFEFF{"keys":[{"kid":"\uFEFFk"}]}', [{ kid: '\uFEFFk' }]],
    ['{"keys":[{"kid":"\uFEFFk"}]}', [{ kid: '\uFEFFk' }]],
  ]
  for (const [body, keys] of cases) {
    server.setHandler((_req, res) => res.end(body))
    tt.same((await fetchJwks(server.url, open)).keys, keys, JSON.stringify(body))
  }
  server.setHandler((_req, res) => res.end('\uFEFF\uFEFF{"keys":[]}'))
  tt.equal((await failure(fetchJwks(server.url, open))).reason, 'invalid_json', 'a second mark is not JSON')
})

/** Calls a LookupFunction the way net does and reports its error. */
function lookupError(lookup: LookupFunction, hostname: string, all: boolean) {
  return new Promise<NodeJS.ErrnoException | null>((resolve) => lookup(hostname, all ? { all: true } : {}, (err) => resolve(err)))
}

t.test('the connect-time lookup names the refused address and its range, or the name that resolved to nothing', async (tt) => {
  const answering =
    (addresses: string[]): ResolveHost =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  for (const all of [true, false]) {
    const blocked = await lookupError(createGuardedLookup(answering(['1.1.1.1', '10.0.0.1'])), 'jwks.partner.test', all)
    tt.match(blocked, { code: 'EBLOCKED', message: 'refused to connect to 10.0.0.1: private address range' })
    tt.equal(blocked?.message, 'refused to connect to 10.0.0.1: private address range')
    const empty = await lookupError(createGuardedLookup(answering([])), 'jwks.partner.test', all)
    tt.match(empty, { code: 'ENOTFOUND' })
    tt.equal(empty?.message, 'jwks.partner.test resolved to no address')
  }
})
