// The real resolver path and redirect hops under the address rules, inside a network namespace with loopback alone.
//
// Run by tap, this file re-runs itself inside `unshare --net --mount`: a fresh network namespace
// whose only interface is `lo`, with a private /etc/hosts bind-mounted over the real one. There,
// names resolve through the system resolver (getaddrinfo reading /etc/hosts) to a private address
// and to an address the rules call public, which is put on the namespace's own `lo`: a JWKS server
// can listen on it and no packet can leave the namespace, whatever the code under test does.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { fetchJwks } from '../../src/tokens/jwks-fetch.js'
import { makeKey } from '../helpers/keys.js'
import { bailOutUnlessIsolated, INSIDE_NETNS, missingNetnsTool, netnsDir, runInNetns } from '../helpers/netns.js'

/** Public by the rules, but inside the namespace it is an address of `lo`. */
const PUBLIC_ADDRESS = '8.8.8.8'
const HOSTS = `${PUBLIC_ADDRESS} jwks.partner.test\n10.0.0.1 internal.partner.test\n127.0.0.2 loopback.partner.test\n`
const closed = { allowPrivateNetwork: false }

if (!INSIDE_NETNS) {
  const missing = missingNetnsTool([['openssl', ['version'], 'openssl is not installed (it makes the test TLS certificate)']])
  t.test('the address rules inside a network namespace', { skip: missing ? `skipped: ${missing}` : false }, async (tt) => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-netns-'))
    tt.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'hosts'), `127.0.0.1 localhost\n${HOSTS}`)
    const openssl = spawnSync('openssl', [
      ...['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=jwks.partner.test'],
      ...['-addext', 'subjectAltName=DNS:jwks.partner.test', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')],
    ])
    tt.equal(openssl.status, 0, 'a TLS certificate for jwks.partner.test was made')
    await runInNetns(tt, fileURLToPath(import.meta.url), dir, [`ip addr add ${PUBLIC_ADDRESS}/32 dev lo`, 'mount --bind "$1/hosts" /etc/hosts'], {
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    })
  })
} else {
  bailOutUnlessIsolated(t)

  const dir = netnsDir()
  const key = makeKey('k1')
  const server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) })
  const requested: string[] = []
  let location = ''
  server.on('request', (req, res) => {
    requested.push(req.url ?? '')
    if (req.url === '/start') res.writeHead(302, { location })
    else res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: [key.publicJwk] }))
  })
  await new Promise<void>((resolve) => server.listen(0, PUBLIC_ADDRESS, resolve))
  const port = (server.address() as AddressInfo).port
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })

  t.test('a host that resolves to a public address is fetched (the control for the refusals below)', async (tt) => {
    const doc = await fetchJwks(`https://jwks.partner.test:${port}/jwks.json`, closed)
    tt.equal(doc.keys.length, 1)
  })

  t.test('the system resolver path refuses a name that resolves to a private address', async (tt) => {
    const err = await fetchJwks(`https://internal.partner.test:${port}/jwks.json`, closed).catch((e: unknown) => e)
    tt.match(err, { reason: 'blocked_address', message: 'refused to connect to 10.0.0.1: private address range' })
  })

  t.test('every redirect hop obeys the address rules', async (tt) => {
    const refusals: [target: string, reason: string][] = [
      [`https://internal.partner.test:${port}/jwks.json`, 'blocked_address'],
      [`https://loopback.partner.test:${port}/jwks.json`, 'blocked_address'],
      [`https://10.0.0.1:${port}/jwks.json`, 'bad_url'],
      [`https://localhost:${port}/jwks.json`, 'bad_url'],
      [`http://jwks.partner.test:${port}/jwks.json`, 'bad_url'],
    ]
    for (const [target, reason] of refusals) {
      location = target
      requested.length = 0
      const err = await fetchJwks(`https://jwks.partner.test:${port}/start`, closed).catch((e: unknown) => e)
      tt.match(err, { reason }, target)
      tt.same(requested, ['/start'], `${target}: only the first hop was requested`)
    }
    location = `https://jwks.partner.test:${port}/jwks.json`
    const doc = await fetchJwks(`https://jwks.partner.test:${port}/start`, closed)
    tt.equal(doc.url, location, 'a redirect to a public host is followed')
  })
}
