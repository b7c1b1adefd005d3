// Which JWKS URLs and addresses Gatehouse may connect to: https only, no userinfo, no private networks.
import { BlockList, isIP } from 'node:net'

const blocked = new BlockList()
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this" network, unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4')
}
for (const [net, prefix] of [
  ['::', 96], // unspecified, loopback and the deprecated IPv4-compatible form
  ['64:ff9b::', 96], // NAT64 can reach any IPv4, private ones included
  ['64:ff9b:1::', 48], // local-use NAT64
  ['fc00::', 7], // unique-local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6')
}

/** The IPv4 address inside an IPv4-mapped IPv6 address, in any spelling (`::ffff:7f00:1`, `::FFFF:127.0.0.1`). */
function mappedIpv4(ip: string): string | null {
  let normalized: string
  try {
    normalized = new URL(`http://[${ip}]/`).hostname
  } catch {
    return null
  }
  const m = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(normalized)
  if (!m) return null
  const hi = Number.parseInt(m[1]!, 16)
  const lo = Number.parseInt(m[2]!, 16)
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`
}

/**
 * True for loopback, unspecified, private, CGNAT, link-local, unique-local, multicast and other
 * non-public addresses; an IPv4-mapped IPv6 address is judged by its IPv4. Anything that is not an
 * IP address is blocked too, so a surprise from a resolver fails closed.
 */
export function isBlockedAddress(ip: string): boolean {
  const bare = ip.replace(/%.*$/, '') // a zone id does not change which network the address is in
  const family = isIP(bare)
  if (family === 4) return blocked.check(bare, 'ipv4')
  if (family !== 6) return true
  const v4 = mappedIpv4(bare)
  if (v4 !== null) return blocked.check(v4, 'ipv4')
  return blocked.check(bare, 'ipv6')
}

/** True for `localhost` and `*.localhost` (RFC 6761: always loopback), with or without a trailing dot. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * null when `url` may be used as a JWKS URL (a partner record, or any redirect hop), else a short
 * reason. Names other than localhost are judged later, on the address they resolve to at connect time.
 */
export function checkJwksUrl(url: string, allowPrivateNetwork: boolean): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not an absolute URL'
  }
  if (parsed.protocol !== 'https:' && !(allowPrivateNetwork && parsed.protocol === 'http:')) {
    return allowPrivateNetwork ? 'must use https: or http:' : 'must use https: (http: only with JWKS_ALLOW_PRIVATE_NETWORK=true)'
  }
  if (parsed.username || parsed.password) return 'must not carry a username or password'
  if (!allowPrivateNetwork) {
    const host = parsed.hostname.replace(/^\[|\]$/g, '')
    if (isLocalhostName(host) || (isIP(host) !== 0 && isBlockedAddress(host))) {
      return `host ${host} is a loopback or private address (allowed only with JWKS_ALLOW_PRIVATE_NETWORK=true)`
    }
  }
  return null
}
