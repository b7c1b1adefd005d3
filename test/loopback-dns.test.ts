// Every test process resolves localhost and IP literals only (test/helpers/loopback-dns.ts, preloaded by tap's
// node-arg and Stryker's nodeArgs), so no test can send a DNS query off loopback by fetching a made-up host name.
import dns from 'node:dns'
import { lookup } from 'node:dns/promises'
import t from 'tap'

// tap passes `--import=./test/helpers/loopback-dns.ts`; Stryker's nodeArgs pass the path as its own argument.
const preloaded = process.execArgv.some((arg) => arg.endsWith('test/helpers/loopback-dns.ts'))

t.test('the guard is preloaded into this test process', async (tt) => {
  tt.ok(preloaded, `execArgv: ${process.execArgv.join(' ')}`)
})

// Only asked once the guard is known to be loaded: without it, these names would go to the real resolver.
t.test('a made-up name fails as unknown, in both lookup forms; localhost and literals still resolve', { skip: !preloaded && 'the guard is not loaded' }, async (tt) => {
  const refused = { code: 'ENOTFOUND', message: 'getaddrinfo ENOTFOUND acme.example (tests resolve localhost only)' }
  await tt.rejects(lookup('acme.example'), refused, 'node:dns/promises')
  tt.match(await new Promise((resolve) => dns.lookup('acme.example', { all: true }, resolve)), refused, 'node:dns, as sockets use it')
  tt.ok((await lookup('localhost')).address)
  tt.same(await lookup('127.0.0.1'), { address: '127.0.0.1', family: 4 })
  tt.same(await new Promise((resolve) => dns.lookup('::1', (_err, address) => resolve(address))), '::1')
})
