// A partner's DNS that never answers must not stall signature checks (docs/reference.md, "Hanging DNS"), proven
// with the real resolver inside a network namespace with loopback alone. Host lookups (getaddrinfo) and
// asynchronous crypto.verify share libuv's thread pool; what keeps lookups from taking every thread is libuv's
// own rule that "slow I/O" work such as getaddrinfo runs on at most half the pool. This test holds that
// guarantee in place for the resolver Gatehouse uses; run with UV_THREADPOOL_SIZE=1 (where the one thread is
// also the half) it fails, as it would for any lookup able to take the whole pool.
//
// Run by tap, this file re-runs itself inside `unshare --net --mount`: the only interface is `lo`, and a
// private resolv.conf and nsswitch.conf are bind-mounted over the real ones, naming a name server on
// 127.0.0.53 that this test runs itself and that never answers. getaddrinfo then holds its libuv thread for
// the resolver's whole timeout (1 s here), as it would against a partner's unreachable DNS, and no packet can
// leave the namespace whatever the code under test does.
import { generateKeyPairSync, sign } from 'node:crypto'
import { createSocket } from 'node:dgram'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { fetchJwks } from '../../src/tokens/jwks-fetch.js'
import { verifyRs256 } from '../../src/tokens/verify-signature.js'
import { bailOutUnlessIsolated, INSIDE_NETNS, missingNetnsTool, runInNetns } from '../helpers/netns.js'
import { waitFor } from '../helpers/wait-for.js'

const NAME_SERVER = '127.0.0.53'
/** More than libuv's 4 threads: were lookups ordinary pool work, these alone would hold every thread. */
const HANGING_PARTNERS = 6

if (!INSIDE_NETNS) {
  const missing = missingNetnsTool()
  t.test('signature checks while partners\u2019 DNS hangs, inside a network namespace', { skip: missing ? `skipped: ${missing}` : false }, async (tt) => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-dns-hang-'))
    tt.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(join(dir, 'resolv.conf'), `nameserver ${NAME_SERVER}\noptions timeout:1 attempts:1\n`)
    writeFileSync(join(dir, 'nsswitch.conf'), 'hosts: files dns\n')
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n')
    await runInNetns(tt, fileURLToPath(import.meta.url), dir, [
      'mount --bind "$1/resolv.conf" /etc/resolv.conf',
      'mount --bind "$1/nsswitch.conf" /etc/nsswitch.conf',
      'mount --bind "$1/hosts" /etc/hosts',
    ])
  })
} else {
  bailOutUnlessIsolated(t)

  t.test('with more partners\u2019 lookups hanging than libuv has threads, every signature is checked before any lookup returns', async (tt) => {
    const queries: string[] = []
    const nameServer = createSocket('udp4')
    // Reads each query and never answers, like a partner's unreachable DNS.
    nameServer.on('message', (query) => queries.push(query.toString('latin1')))
    await new Promise<void>((resolve) => nameServer.bind(53, NAME_SERVER, resolve))
    tt.teardown(() => nameServer.close())

    const settled: string[] = []
    const fetches = Array.from({ length: HANGING_PARTNERS }, (_, i) =>
      fetchJwks(`https://jwks.hang-${i}.partner.test/jwks.json`, { allowPrivateNetwork: false, timeoutMs: 20_000 }).then(
        () => settled.push(`${i} fetched`),
        (err: { reason?: string }) => settled.push(`${i} ${err.reason}`),
      ),
    )
    await waitFor(() => queries.length, (n) => n > 0)
    tt.equal(settled.length, 0, 'the lookups are under way and hang')

    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const input = 'header.payload'
    const signature = sign('sha256', Buffer.from(input), privateKey)
    const checks = await Promise.all(Array.from({ length: 20 }, () => verifyRs256(publicKey, input, signature)))
    tt.same(new Set(checks), new Set([true]), 'twenty signatures were checked on the thread pool')
    tt.same(settled, [], 'while every lookup still hung: none had returned')

    await Promise.all(fetches)
    tt.equal(settled.length, HANGING_PARTNERS)
    tt.ok(settled.every((s) => s.endsWith(' network')), `each fetch then failed as unreachable: ${settled.join(', ')}`)
  })
}
