// Which addresses are globally routable unicast, range by range, and the JWKS URL rules (strings only, no traffic).
import t from 'tap'
import { blockedAddressReason, checkJwksUrl, isBlockedAddress } from '../../src/tokens/network-policy.js'

/** Each refused range: first, last or middle addresses, in several spellings, and what the reason must name. */
const BLOCKED: [range: string, addresses: string[], reason: RegExp][] = [
  ['0.0.0.0/8 "this network"', ['0.0.0.0', '0.1.2.3', '0.255.255.255'], /unspecified/],
  ['10.0.0.0/8 private', ['10.0.0.0', '10.0.0.1', '10.255.255.255'], /private/],
  ['100.64.0.0/10 carrier-grade NAT', ['100.64.0.0', '100.100.100.200', '100.127.255.255'], /carrier-grade NAT/],
  ['127.0.0.0/8 loopback', ['127.0.0.1', '127.0.0.2', '127.255.255.255'], /loopback/],
  ['169.254.0.0/16 link-local (cloud metadata)', ['169.254.0.0', '169.254.169.254', '169.254.255.255'], /link-local/],
  ['172.16.0.0/12 private', ['172.16.0.0', '172.20.1.1', '172.31.255.255'], /private/],
  ['192.0.0.0/24 IETF protocol assignments', ['192.0.0.0', '192.0.0.170', '192.0.0.255'], /reserved/],
  ['192.0.2.0/24 documentation', ['192.0.2.0', '192.0.2.1', '192.0.2.255'], /documentation/],
  ['192.88.99.0/24 deprecated 6to4 relay anycast', ['192.88.99.1'], /reserved/],
  ['192.168.0.0/16 private', ['192.168.0.0', '192.168.1.1', '192.168.255.255'], /private/],
  ['198.18.0.0/15 benchmarking', ['198.18.0.0', '198.19.255.255'], /benchmarking/],
  ['198.51.100.0/24 documentation', ['198.51.100.0', '198.51.100.7', '198.51.100.255'], /documentation/],
  ['203.0.113.0/24 documentation', ['203.0.113.0', '203.0.113.99', '203.0.113.255'], /documentation/],
  ['192.31.196.0/24 and 192.175.48.0/24 AS112', ['192.31.196.1', '192.175.48.6'], /AS112/],
  ['192.52.193.0/24 AMT', ['192.52.193.1'], /AMT/],
  ['224.0.0.0/4 multicast', ['224.0.0.0', '224.0.0.1', '239.255.255.250', '239.255.255.255'], /multicast/],
  ['240.0.0.0/4 reserved', ['240.0.0.0', '250.1.2.3', '255.255.255.254'], /reserved/],
  ['255.255.255.255 broadcast', ['255.255.255.255'], /broadcast/],
  ['::/128 unspecified', ['::', '0:0:0:0:0:0:0:0'], /unspecified/],
  ['::1/128 loopback', ['::1', '0000:0000:0000:0000:0000:0000:0000:0001'], /loopback/],
  // Read as IPv4-mapped, ::8.8.8.8 would pass; it is the deprecated IPv4-compatible form, a different address.
  ['::/96 IPv4-compatible (deprecated)', ['::8.8.8.8', '::808:808', '::127.0.0.1', '::7f00:1', '::2'], /outside the IPv6 global unicast range/],
  [
    '::ffff:0:0/96 IPv4-mapped, embedding a refused IPv4',
    ['::ffff:127.0.0.1', '::FFFF:7f00:1', '0:0:0:0:0:ffff:a00:1', '::ffff:169.254.169.254', '::ffff:100.64.0.1', '::ffff:192.0.2.1', '::ffff:0.0.0.0', '::ffff:255.255.255.255'],
    /IPv4-mapped form of .*range|IPv4-mapped form of .*broadcast/,
  ],
  ['::ffff:0:0:0/96 IPv4-translated, embedding a refused IPv4', ['::ffff:0:127.0.0.1', '::ffff:0:a00:1', '::FFFF:0:c0a8:101'], /IPv4-translated form of/],
  ['64:ff9b::/96 NAT64, whatever the IPv4', ['64:ff9b::7f00:1', '64:ff9b::a00:1', '64:ff9b::8.8.8.8'], /NAT64/],
  ['64:ff9b:1::/48 local-use NAT64', ['64:ff9b:1::a00:1', '64:ff9b:1:ffff:ffff:ffff:ffff:ffff'], /NAT64/],
  ['100::/64 discard-only', ['100::', '100::ffff:ffff:ffff:ffff'], /discard/],
  ['2001::/32 Teredo, whatever it embeds', ['2001::', '2001:0:4136:e378:8000:63bf:3fff:fdd2', '2001:0:ffff:ffff:ffff:ffff:ffff:ffff'], /Teredo/],
  ['2001::/23 IETF protocol assignments', ['2001:1::1', '2001:100::1', '2001:1ff:ffff:ffff::1'], /reserved/],
  ['2001:2::/48 benchmarking', ['2001:2::1', '2001:2:0:ffff::1'], /benchmarking/],
  ['2001:3::/32 AMT', ['2001:3::1'], /AMT/],
  ['AS112 IPv6', ['2001:4:112::1', '2620:4f:8000::1'], /AS112/],
  ['ORCHID and DRIP', ['2001:10::1', '2001:20::1', '2001:30::1'], /special-purpose/],
  ['2001:db8::/32 documentation', ['2001:db8::', '2001:db8::1', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'], /documentation/],
  ['3fff::/20 documentation', ['3fff::1', '3fff:fff:ffff:ffff::1'], /documentation/],
  [
    '2002::/16 6to4, embedding a refused IPv4',
    ['2002:7f00:1::1', '2002:a00:1::1', '2002:c0a8:101::1', '2002:a9fe:a9fe::', '2002:6440:1::1', '2002:c000:201::1', '2002::1', '2002:e000:1::1'],
    /6to4 form of/,
  ],
  ['5f00::/16 segment routing', ['5f00::1'], /special-purpose/],
  ['fc00::/7 unique-local', ['fc00::', 'fc00::1', 'fd12:3456::1', 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], /unique-local/],
  ['fe80::/10 link-local', ['fe80::', 'fe80::1', 'febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], /link-local/],
  ['fec0::/10 deprecated site-local', ['fec0::1', 'feff::1'], /site-local/],
  ['ff00::/8 multicast', ['ff00::', 'ff02::1', 'ff0e::fb', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'], /multicast/],
  ['IPv6 outside 2000::/3 (unassigned)', ['1::1', '1fff:ffff::1', '4000::1', 'e000::1'], /outside the IPv6 global unicast range/],
  ['any address with a zone id', ['fe80::1%eth0', 'fe80::1%1', '2606:4700:4700::1111%eth0'], /zone id/],
  [
    'strings that are not a plain IP address',
    ['', 'not an ip', 'localhost', '0177.0.0.1', '0x7f000001', '2130706433', '127.1', '010.0.0.1', ' 8.8.8.8', '8.8.8.8 ', '8.8.8.8/32', '256.1.1.1', '[::1]', '::ffff:127.1', ':::1'],
    /not an IP address/,
  ],
]

const ALLOWED: [what: string, addresses: string[]][] = [
  ['public IPv4', ['8.8.8.8', '1.1.1.1', '9.9.9.9', '208.67.222.222']],
  [
    'public IPv4 right next to a refused range',
    ['9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0'],
  ],
  ['public IPv4 right next to a refused range (cont.)', ['172.15.255.255', '172.32.0.0', '192.0.1.255', '192.0.3.0', '192.167.255.255', '192.169.0.0']],
  ['public IPv4 right next to a refused range (end)', ['198.17.255.255', '198.20.0.0', '203.0.112.255', '203.0.114.0', '223.255.255.255']],
  ['public IPv6', ['2606:4700:4700::1111', '2001:4860:4860::8888', '2a00:1450:4001:80b::200e', '2620:fe::fe', '2001:200::1', '2003::1']],
  ['IPv4-mapped and IPv4-translated forms of a public IPv4', ['::ffff:8.8.8.8', '::FFFF:808:808', '0:0:0:0:0:ffff:0101:0101', '::ffff:0:8.8.8.8']],
  ['6to4 forms of a public IPv4', ['2002:808:808::1', '2002:0808:0808::1', '2002:101:101:1::1']],
]

t.test('each refused range is refused, with a reason that names it', async (tt) => {
  for (const [range, addresses, reason] of BLOCKED) {
    for (const ip of addresses) {
      tt.match(blockedAddressReason(ip), reason, `${range}: ${JSON.stringify(ip)}`)
      tt.equal(isBlockedAddress(ip), true, `${range}: ${JSON.stringify(ip)} blocked`)
    }
  }
})

t.test('globally routable unicast addresses are allowed, embedded public IPv4 forms included', async (tt) => {
  for (const [what, addresses] of ALLOWED) {
    for (const ip of addresses) {
      tt.equal(blockedAddressReason(ip), null, `${what}: ${ip}`)
      tt.equal(isBlockedAddress(ip), false, `${what}: ${ip} not blocked`)
    }
  }
})

t.test('an embedded IPv4 is named in the reason, as its dotted form', async (tt) => {
  tt.equal(blockedAddressReason('10.0.0.1'), 'private address range')
  tt.equal(blockedAddressReason('::ffff:7f00:1'), 'IPv4-mapped form of 127.0.0.1, loopback address range')
  tt.equal(blockedAddressReason('2002:a9fe:a9fe::1'), '6to4 form of 169.254.169.254, link-local address range')
})

t.test('checkJwksUrl without private network', async (tt) => {
  const ok = [
    'https://example.com/jwks.json',
    'https://8.8.8.8/keys',
    'https://134744072/keys', // 8.8.8.8 once the URL parser normalises it
    'https://[2001:4860:4860::8888]/keys',
    'https://[::ffff:8.8.8.8]/keys',
    'https://[2002:808:808::1]/keys',
    'https://auth.example.com:8443/.well-known/jwks.json',
  ]
  for (const url of ok) tt.equal(checkJwksUrl(url, false), null, `${url} accepted`)
  const refused = [
    '/relative/jwks.json',
    'example.com/jwks.json',
    '',
    'http://example.com/jwks.json',
    'ftp://example.com/jwks.json',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://user:secret@example.com/jwks.json',
    'https://user@example.com/jwks.json',
    'https://:pw@example.com/jwks.json',
    'https://localhost/jwks.json',
    'https://LOCALHOST./jwks.json',
    'https://api.localhost/jwks.json',
    'https://127.0.0.1/jwks.json',
    'https://10.1.2.3/jwks.json',
    'https://169.254.169.254/latest/meta-data',
    'https://192.0.2.10/jwks.json',
    'https://198.51.100.10/jwks.json',
    'https://203.0.113.10/jwks.json',
    'https://[::1]/jwks.json',
    'https://[::ffff:127.0.0.1]/jwks.json',
    'https://[fd00::1]/jwks.json',
    'https://[2001:db8::1]/jwks.json',
    'https://[2002:a00:1::1]/jwks.json',
    'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/jwks.json',
    'https://[64:ff9b::a00:1]/jwks.json',
    'https://[::ffff:0:a00:1]/jwks.json',
  ]
  for (const url of refused) tt.type(checkJwksUrl(url, false), 'string', `${url} refused`)
  tt.notMatch(checkJwksUrl('https://user:secret@example.com/jwks.json', false) ?? '', /secret/, 'the password is not echoed')
  tt.match(checkJwksUrl('https://10.1.2.3/jwks.json', false), /host 10\.1\.2\.3 .*private address range/, 'the host and its range are named')
})

t.test('checkJwksUrl judges the host as the URL parser normalises it', async (tt) => {
  // The request connects to the normalised host, so that is the one that must be judged.
  const loopbackSpellings = [
    'https://0x7f000001/jwks.json',
    'https://2130706433/jwks.json',
    'https://127.1/jwks.json',
    'https://0177.0.0.1/jwks.json',
    'https://0x7f.1/jwks.json',
    'https://127.0.0.1./jwks.json',
    'https://１２７.０.０.１/jwks.json', // full-width digits
  ]
  for (const url of loopbackSpellings) {
    tt.match(checkJwksUrl(url, false), /^host 127\.0\.0\.1 is not globally routable: loopback address range/, url)
  }
  tt.match(checkJwksUrl('https://0xa.0.0.1/jwks.json', false), /^host 10\.0\.0\.1 .*private/)
  tt.match(checkJwksUrl('https://[::FFFF:127.0.0.1]/jwks.json', false), /^host ::ffff:7f00:1 .*IPv4-mapped form of 127\.0\.0\.1/)
  tt.match(checkJwksUrl('https://[::127.0.0.1]/jwks.json', false), /^host ::7f00:1 .*outside the IPv6 global unicast range/)
})

t.test('checkJwksUrl with private network allowed', async (tt) => {
  const ok = ['http://127.0.0.1:8080/jwks.json', 'http://localhost:3000/jwks.json', 'https://10.0.0.5/keys', 'http://[::1]:9/keys', 'https://192.0.2.1/keys']
  for (const url of ok) {
    tt.equal(checkJwksUrl(url, true), null, `${url} accepted`)
  }
  for (const url of ['ftp://127.0.0.1/keys', 'file:///keys.json', 'http://u:p@127.0.0.1/keys', 'not a url']) {
    tt.type(checkJwksUrl(url, true), 'string', `${url} refused`)
  }
})

t.test('checkJwksUrl gives each refusal its exact reason', async (tt) => {
  const cases: [url: string, allowPrivateNetwork: boolean, reason: string][] = [
    ['not a url', false, 'is not an absolute URL'],
    ['http://example.com/jwks.json', false, 'must use https: (http: only with JWKS_ALLOW_PRIVATE_NETWORK=true)'],
    ['ftp://example.com/jwks.json', true, 'must use https: or http:'],
    ['https://user:secret@example.com/jwks.json', false, 'must not carry a username or password'],
    ['https://:secret@example.com/jwks.json', true, 'must not carry a username or password'],
    ['https://localhost/jwks.json', false, 'host localhost is not globally routable: loopback name (allowed only with JWKS_ALLOW_PRIVATE_NETWORK=true)'],
    ['https://[fd00::1]/jwks.json', false, 'host fd00::1 is not globally routable: unique-local address range (allowed only with JWKS_ALLOW_PRIVATE_NETWORK=true)'],
    ['https://192.168.0.1/jwks.json', false, 'host 192.168.0.1 is not globally routable: private address range (allowed only with JWKS_ALLOW_PRIVATE_NETWORK=true)'],
  ]
  for (const [url, allowPrivateNetwork, reason] of cases) tt.equal(checkJwksUrl(url, allowPrivateNetwork), reason, url)
  tt.equal(checkJwksUrl('https://notlocalhost/jwks.json', false), null, 'a name merely ending in "localhost" is judged later, by its addresses')
  tt.equal(checkJwksUrl('https://localhost.example.com/jwks.json', false), null)
})

t.test('each named range has its own wording', async (tt) => {
  const cases: [string, string][] = [
    ['0.0.0.0', 'unspecified address range'],
    ['255.255.255.255', 'broadcast address'],
    ['224.0.0.1', 'multicast address range'],
    ['169.254.1.1', 'link-local address range'],
    ['127.0.0.1', 'loopback address range'],
    ['100.64.0.1', 'carrier-grade NAT address range'],
    ['10.0.0.1', 'private address range'],
    ['192.0.2.1', 'reserved, documentation or benchmarking address range'],
    ['fc00::1', 'unique-local address range'],
    ['fec0::1', 'site-local address range'],
    ['100::1', 'discard-only address range'],
    ['2001::1', 'Teredo tunnel address range'],
    ['64:ff9b::a00:1', 'NAT64 address range (reaches IPv4 networks through a translator)'],
    ['4000::1', 'address outside the IPv6 global unicast range 2000::/3'],
    ['fe80::1%eth0', 'scoped address with a zone id (never globally routable)'],
    ['127.1', 'not an IP address'],
    ['::ffff:0:a00:1', 'IPv4-translated form of 10.0.0.1, private address range'],
    ['::ffff:a00:1', 'IPv4-mapped form of 10.0.0.1, private address range'],
    ['2002:a00:1::1', '6to4 form of 10.0.0.1, private address range'],
    ['198.18.0.1', 'reserved, documentation or benchmarking address range'],
    ['2001:2::1', 'benchmarking address range'],
    ['192.31.196.1', 'AS112 anycast address range'],
    ['2620:4f:8000::1', 'AS112 anycast address range'],
    ['192.52.193.1', 'AMT relay anycast address range'],
    ['2001:3::1', 'AMT relay anycast address range'],
    ['::1', 'loopback address range'],
    ['::', 'unspecified address range'],
    ['ff02::1', 'multicast address range'],
    ['fe80::1', 'link-local address range'],
    // A range without its own wording is still refused, under ipaddr.js's name for it.
    ['2001:10::1', 'special-purpose address range (deprecatedOrchid)'],
    ['5f00::1', 'special-purpose address range (segmentRouting)'],
  ]
  for (const [ip, reason] of cases) tt.equal(blockedAddressReason(ip), reason, ip)
})
