// fetchJwks against real servers on 127.0.0.1: limits, redirects, address checks, and failure reasons.
import dnsCallbacks from 'node:dns'
import { lookup } from 'node:dns/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, LookupFunction, Socket } from 'node:net'
import t, { type Test } from 'tap'
import { JWKS_TIMEOUT_MS, JwksFetchError, type ResolveHost, createGuardedLookup, fetchJwks } from '../../src/tokens/jwks-fetch.js'
import { type JwksServer, startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { withSystemResolverRefused } from '../helpers/system-resolver.js'

const open = { allowPrivateNetwork: true }

/** The JwksFetchError reason of a fetch expected to fail. */
async function reasonOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (err) {
    if (err instanceof JwksFetchError) return err.reason
    throw err
  }
  throw new Error('fetch unexpectedly succeeded')
}

/** Routes /hop/N to /hop/N-1 and /hop/0 to the JWKS, answering each redirect with `status`. */
function redirectChain(server: JwksServer, status = 302, delayMs = 0) {
  const key = makeKey('k1')
  server.setHandler((req, res) => {
    const n = Number(/^\/hop\/(\d+)$/.exec(req.url ?? '')?.[1] ?? -1)
    setTimeout(() => {
      if (n > 0) {
        res.writeHead(status, { location: `/hop/${n - 1}` })
        res.end('moved')
      } else if (n === 0) {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=120' })
        res.end(JSON.stringify({ keys: [key.publicJwk] }))
      } else {
        res.writeHead(404)
        res.end()
      }
    }, delayMs)
  })
  return (n: number) => `http://127.0.0.1:${server.port}/hop/${n}`
}

t.test('a JWKS with Cache-Control is fetched and its max-age reported raw', async (tt) => {
  const key = makeKey('k1')
  const server = await startJwksServer(tt, [key.publicJwk])
  let accept: string | undefined
  server.setHandler((req, res) => {
    accept = req.headers.accept
    res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'cache-control': 'public, max-age=300' })
    res.end(JSON.stringify({ keys: [key.publicJwk] }))
  })
  const doc = await fetchJwks(server.url, open)
  tt.same(doc, { keys: [key.publicJwk], maxAgeSeconds: 300, url: server.url })
  tt.equal(accept, 'application/json, application/jwk-set+json')
  tt.equal(server.requests, 1)
})

t.test('Cache-Control parsing: absent, no-store, no-cache, unclamped and unrelated directives', async (tt) => {
  const server = await startJwksServer(tt, [])
  const cases: [Record<string, string>, number | null][] = [
    [{}, null],
    [{ 'cache-control': 'no-store' }, 0],
    [{ 'cache-control': 'no-cache, max-age=600' }, 0],
    [{ 'cache-control': 'max-age=1' }, 1],
    [{ 'cache-control': 'max-age=999999' }, 999999],
    [{ 'cache-control': 'public, s-maxage=100' }, null],
    [{ 'cache-control': 'MAX-AGE=42, must-revalidate' }, 42],
  ]
  for (const [headers, expected] of cases) {
    server.setHeaders(headers)
    tt.equal((await fetchJwks(server.url, open)).maxAgeSeconds, expected, JSON.stringify(headers))
  }
})

t.test('a UTF-8 byte order mark is tolerated', async (tt) => {
  const server = await startJwksServer(tt)
  server.setHandler((_req, res) => res.end(`\uFEFF${JSON.stringify({ keys: [] })}`))
  tt.same((await fetchJwks(server.url, open)).keys, [])
})

t.test('non-2xx answers are http_status', async (tt) => {
  const server = await startJwksServer(tt)
  for (const status of [500, 404, 204, 304]) {
    server.setHandler((_req, res) => {
      res.statusCode = status
      res.end()
    })
    tt.equal(await reasonOf(fetchJwks(server.url, open)), status === 204 ? 'invalid_json' : 'http_status', `HTTP ${status}`)
  }
  server.setHandler((_req, res) => {
    res.statusCode = 500
    res.end('down')
  })
  const err = await fetchJwks(server.url, open).catch((e: unknown) => e)
  tt.match(err, { reason: 'http_status', message: /500/ })
})

t.test('bodies that are not a JWKS', async (tt) => {
  const server = await startJwksServer(tt)
  const cases: [string, string][] = [
    ['<html>not json', 'invalid_json'],
    ['', 'invalid_json'],
    ['{"keys":', 'invalid_json'],
    ['null', 'invalid_jwks'],
    ['[1,2]', 'invalid_jwks'],
    ['"keys"', 'invalid_jwks'],
    ['{"keys":{"a":1}}', 'invalid_jwks'],
    ['{"key":[]}', 'invalid_jwks'],
  ]
  for (const [body, reason] of cases) {
    server.setHandler((_req, res) => res.end(body))
    tt.equal(await reasonOf(fetchJwks(server.url, open)), reason, JSON.stringify(body))
  }
})

t.test('a 1 MiB body is too_large, declared or streamed', async (tt) => {
  const server = await startJwksServer(tt)
  const big = JSON.stringify({ keys: [], pad: 'x'.repeat(1024 * 1024) })
  server.setHandler((_req, res) => {
    res.writeHead(200, { 'content-length': Buffer.byteLength(big) })
    res.end(big)
  })
  const declared = await fetchJwks(server.url, open).catch((e: unknown) => e)
  tt.match(declared, { reason: 'too_large', message: /262144 bytes/ })

  server.setHandler((_req, res) => {
    // Chunked, no Content-Length: the cap has to be enforced while streaming.
    for (let i = 0; i < 16; i++) res.write(big.slice(i * 65536, (i + 1) * 65536))
    res.end(big.slice(16 * 65536))
  })
  tt.equal(await reasonOf(fetchJwks(server.url, open)), 'too_large')
  tt.equal(await reasonOf(fetchJwks(server.url, { ...open, maxBytes: 10 })), 'too_large', 'maxBytes is honoured')
  server.setHandler((_req, res) => res.end(JSON.stringify({ keys: [] })))
  tt.same((await fetchJwks(server.url, open)).keys, [], 'a small body still passes')
})

t.test('a server that never answers times out and its socket is closed', async (tt) => {
  const server = await startJwksServer(tt)
  const serverSockets: Socket[] = []
  server.setHandler((req) => {
    serverSockets.push(req.socket)
  })
  const started = Date.now()
  const err = await fetchJwks(server.url, { ...open, timeoutMs: 300 }).catch((e: unknown) => e)
  tt.match(err, { reason: 'timeout', message: /300 ms/ })
  tt.ok(Date.now() - started < 2000, 'answered near the deadline')
  tt.equal(serverSockets.length, 1)
  const socket = serverSockets[0]!
  if (!socket.destroyed) await new Promise((resolve) => socket.once('close', resolve))
  tt.ok(socket.destroyed, 'the client hung up')
})

t.test('the deadline also covers a body that stalls halfway', async (tt) => {
  const server = await startJwksServer(tt)
  server.setHandler((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"keys":[')
  })
  tt.equal(await reasonOf(fetchJwks(server.url, { ...open, timeoutMs: 300 })), 'timeout')
})

t.test('the default deadline is 5000 ms', async (tt) => {
  tt.equal(JWKS_TIMEOUT_MS, 5000)
  const server = await startJwksServer(tt)
  server.setHandler(() => {})
  // Arm the default deadline but let it fire early, so the test does not wait 5 s.
  const original = AbortSignal.timeout
  let armed: number | undefined
  AbortSignal.timeout = (ms: number) => {
    armed = ms
    return original.call(AbortSignal, 50)
  }
  tt.teardown(() => {
    AbortSignal.timeout = original
  })
  const err = await fetchJwks(server.url, open).catch((e: unknown) => e)
  AbortSignal.timeout = original
  tt.equal(armed, 5000)
  tt.match(err, { reason: 'timeout', message: 'timed out after 5000 ms' })
})

t.test('redirects: up to 3 are followed, relative to the current URL', async (tt) => {
  const server = await startJwksServer(tt)
  const hop = redirectChain(server)
  const doc = await fetchJwks(hop(3), open)
  tt.equal(doc.url, hop(0), 'final URL reported')
  tt.equal(doc.maxAgeSeconds, 120)
  tt.equal(doc.keys.length, 1)
  tt.equal(server.requests, 4)
  for (const status of [301, 303, 307, 308]) {
    redirectChain(server, status)
    tt.equal((await fetchJwks(hop(1), open)).url, hop(0), `HTTP ${status} followed`)
  }
})

t.test('a fourth redirect is too_many_redirects', async (tt) => {
  const server = await startJwksServer(tt)
  const hop = redirectChain(server)
  tt.equal(await reasonOf(fetchJwks(hop(4), open)), 'too_many_redirects')
  tt.equal(server.requests, 4, 'the fourth Location is not requested')
  tt.equal(await reasonOf(fetchJwks(hop(2), { ...open, maxRedirects: 1 })), 'too_many_redirects')
})

t.test('one deadline covers the whole redirect chain', async (tt) => {
  const server = await startJwksServer(tt)
  const hop = redirectChain(server, 302, 150)
  // Each hop alone fits in 400 ms; the four together do not.
  tt.equal(await reasonOf(fetchJwks(hop(3), { ...open, timeoutMs: 400 })), 'timeout')
})

t.test('redirect targets must obey the jwksUrl rules', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const cases: [string, string][] = [
    ['ftp://127.0.0.1/jwks.json', 'bad_url'],
    ['file:///etc/passwd', 'bad_url'],
    [`http://user:secret@127.0.0.1:${server.port}/`, 'bad_url'],
    ['http://[', 'bad_url'],
  ]
  for (const [location, reason] of cases) {
    server.setHandler((req, res) => {
      if (req.url === '/start') res.writeHead(302, { location })
      else res.writeHead(200)
      res.end(JSON.stringify({ keys: [] }))
    })
    const before = server.requests
    const err = await fetchJwks(`http://127.0.0.1:${server.port}/start`, open).catch((e: unknown) => e)
    tt.match(err, { reason }, location)
    tt.notMatch((err as Error).message, /secret/, 'userinfo is not echoed')
    tt.equal(server.requests - before, 1, 'the target is never requested')
  }
  server.setHandler((_req, res) => {
    res.writeHead(302)
    res.end()
  })
  tt.equal(await reasonOf(fetchJwks(server.url, open)), 'http_status', 'a redirect without Location')
})

t.test('loopback is refused before connecting when private networks are not allowed', async (tt) => {
  const server = await startJwksServer(tt, [makeKey('k1').publicJwk])
  const urls = [
    `http://127.0.0.1:${server.port}/jwks.json`,
    `http://localhost:${server.port}/jwks.json`,
    `https://127.0.0.1:${server.port}/jwks.json`,
    `https://localhost:${server.port}/jwks.json`,
    `https://[::ffff:127.0.0.1]:${server.port}/jwks.json`,
  ]
  for (const url of urls) tt.equal(await reasonOf(fetchJwks(url, { allowPrivateNetwork: false })), 'bad_url', url)
  tt.equal(server.requests, 0, 'no request reached the server')
  tt.same((await fetchJwks(server.url, open)).keys.length, 1, 'the same server is reachable when allowed')
})

/** A JWKS server on `host` that counts TCP connections, so a test can prove none was opened. */
async function startConnectionCounter(tt: Test, host: string) {
  const key = makeKey('k1')
  const server = createServer((_req, res) => res.end(JSON.stringify({ keys: [key.publicJwk] })))
  const counter = { port: 0, connections: 0 }
  server.on('connection', () => counter.connections++)
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, host, resolve))
  counter.port = (server.address() as AddressInfo).port
  tt.teardown(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(resolve))
  })
  return counter
}

/** A resolver answering `addresses` for every name, recording the names it was asked. */
function fakeResolver(addresses: string[]) {
  const asked: string[] = []
  const resolveHost: ResolveHost = async (hostname) => {
    asked.push(hostname)
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }))
  }
  return { asked, resolveHost }
}

/** Calls a LookupFunction the way net does, with or without `all`, and reports what it answered. */
function lookupWith(lookup: LookupFunction, hostname: string, all: boolean) {
  return new Promise<{ err: NodeJS.ErrnoException | null; answer: unknown }>((resolve) =>
    lookup(hostname, all ? { all: true } : {}, (err, answer) => resolve({ err, answer })),
  )
}

t.test('while a fetch below runs, the system resolver throws with its own message', async (tt) => {
  // Asked for localhost, which the system resolver answers from the hosts file: no packet leaves even if the guard failed.
  const refused = { message: 'the system resolver was asked for localhost' }
  await withSystemResolverRefused(async () => {
    await tt.rejects(lookup('localhost'), refused, 'node:dns/promises, as jwks-fetch imports it')
    tt.match(await new Promise((resolve) => dnsCallbacks.lookup('localhost', resolve)), refused, 'node:dns, as sockets use it')
  })
  tt.ok(await lookup('localhost'), 'the real resolver is back afterwards')
})

t.test('a name resolving to a loopback address is refused at connect time, before any connection', async (tt) => {
  // Each fake answer is a loopback form with a real JWKS server behind it, so a broken check would
  // connect (and show in the count) without any packet leaving this machine.
  const cases: [answer: string, listenOn: string][] = [
    ['127.0.0.2', '127.0.0.2'],
    ['::1', '::1'],
    ['::ffff:127.0.0.1', '127.0.0.1'],
  ]
  for (const [answer, listenOn] of cases) {
    const server = await startConnectionCounter(tt, listenOn)
    const { asked, resolveHost } = fakeResolver([answer])
    const url = `https://jwks.partner.test:${server.port}/jwks.json`
    const err = await withSystemResolverRefused(() => fetchJwks(url, { allowPrivateNetwork: false, resolveHost })).catch((e: unknown) => e)
    tt.match(err, { reason: 'blocked_address', message: `refused to connect to ${answer}: ` }, answer)
    tt.match((err as Error).message, /loopback address range$/, `${answer}: the range is named`)
    tt.same(asked, ['jwks.partner.test'], `${answer}: the injected resolver was asked`)
    tt.equal(server.connections, 0, `${answer}: no connection was opened`)
  }
})

t.test('the connect-time lookup refuses a name unless every resolved address is globally routable', async (tt) => {
  // Called directly, without a socket: a mixed answer must never be tried, even in part.
  const cases: [answer: string[], refused: string][] = [
    [['8.8.8.8', '127.0.0.2'], '127.0.0.2'],
    [['127.0.0.2', '8.8.8.8'], '127.0.0.2'],
    [['2606:4700:4700::1111', '10.0.0.1'], '10.0.0.1'],
    [['1.1.1.1', '2002:a00:1::1'], '2002:a00:1::1'],
  ]
  for (const [answer, refused] of cases) {
    const lookup = createGuardedLookup(fakeResolver(answer).resolveHost)
    for (const all of [true, false]) {
      const { err } = await lookupWith(lookup, 'jwks.partner.test', all)
      tt.match(err, { code: 'EBLOCKED', message: `refused to connect to ${refused}: ` }, `${answer.join(', ')} (all: ${all})`)
    }
  }
})

t.test('the connect-time lookup answers public addresses in both callback forms', async (tt) => {
  const lookup = createGuardedLookup(fakeResolver(['8.8.8.8', '2606:4700:4700::1111']).resolveHost)
  tt.same(await lookupWith(lookup, 'jwks.partner.test', true), {
    err: null,
    answer: [
      { address: '8.8.8.8', family: 4 },
      { address: '2606:4700:4700::1111', family: 6 },
    ],
  })
  tt.same(await lookupWith(lookup, 'jwks.partner.test', false), { err: null, answer: '8.8.8.8' })
})

t.test('resolver failures and empty answers are network errors, not refusals', async (tt) => {
  const notFound: ResolveHost = async () => {
    throw Object.assign(new Error('getaddrinfo ENOTFOUND jwks.partner.test'), { code: 'ENOTFOUND' })
  }
  tt.match((await lookupWith(createGuardedLookup(notFound), 'jwks.partner.test', true)).err, { code: 'ENOTFOUND' })
  tt.match((await lookupWith(createGuardedLookup(fakeResolver([]).resolveHost), 'jwks.partner.test', true)).err, { code: 'ENOTFOUND' })
  const err = await withSystemResolverRefused(() =>
    fetchJwks('https://jwks.partner.test/jwks.json', { allowPrivateNetwork: false, resolveHost: notFound }),
  ).catch((e: unknown) => e)
  tt.match(err, { reason: 'network', message: /ENOTFOUND/ })
})
t.test('a closed port is a network error', async (tt) => {
  const probe = createServer((_req: IncomingMessage, res: ServerResponse) => res.end())
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  tt.equal(await reasonOf(fetchJwks(`http://127.0.0.1:${port}/jwks.json`, open)), 'network')
})

t.test('a malformed URL is bad_url', async (tt) => {
  tt.equal(await reasonOf(fetchJwks('not a url', open)), 'bad_url')
  tt.equal(await reasonOf(fetchJwks('ftp://example.com/jwks.json', open)), 'bad_url')
})
