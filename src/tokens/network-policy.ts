// Which JWKS URLs and addresses Gatehouse may connect to: https only, no userinfo, globally routable unicast only.
import { isIP } from 'node:net'
import ipaddr from 'ipaddr.js'

/**
 * What each of ipaddr.js's named ranges is, as a reason for refusing it. Only `unicast` (ipaddr.js's
 * name for "none of the special ranges") is allowed; a range missing here is refused all the same.
 */
const RANGE_DESCRIPTIONS: Record<string, string> = {
  unspecified: 'unspecified address range',
  broadcast: 'broadcast address',
  multicast: 'multicast address range',
  linkLocal: 'link-local address range',
  loopback: 'loopback address range',
  carrierGradeNat: 'carrier-grade NAT address range',
  private: 'private address range',
  reserved: 'reserved, documentation or benchmarking address range',
  benchmarking: 'benchmarking address range',
  as112: 'AS112 anycast address range',
  as112v6: 'AS112 anycast address range',
  amt: 'AMT relay anycast address range',
  uniqueLocal: 'unique-local address range',
  deprecatedSiteLocal: 'site-local address range',
  discard: 'discard-only address range',
}

const describeRange = (range: string) => RANGE_DESCRIPTIONS[range] ?? `special-purpose address range (${range})`

/** Every IPv6 global unicast address lies in 2000::/3; the rest (IPv4-compatible ::/96 among it) is reserved. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3')

function ipv4Reason(address: ipaddr.IPv4): string | null {
  const range: string = address.range()
  return range === 'unicast' ? null : describeRange(range)
}

/** The IPv4 address in the 32 bits of `parts` starting at 16-bit word `index`. */
function embeddedIpv4(parts: number[], index: number): ipaddr.IPv4 {
  const hi = parts[index]!
  const lo = parts[index + 1]!
  return new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255])
}

/** An IPv6 form that carries an IPv4 address is judged by that IPv4 address. */
function embeddedReason(form: string, ipv4: ipaddr.IPv4): string | null {
  const reason = ipv4Reason(ipv4)
  return reason && `${form} of ${ipv4.toString()}, ${reason}`
}

function ipv6Reason(address: ipaddr.IPv6): string | null {
  const range: string = address.range()
  switch (range) {
    case 'ipv4Mapped':
      return embeddedReason('IPv4-mapped form', embeddedIpv4(address.parts, 6))
    case 'rfc6145':
      return embeddedReason('IPv4-translated form', embeddedIpv4(address.parts, 6))
    case '6to4':
      // 2002:AABB:CCDD::/48 is relayed to the IPv4 host AA.BB.CC.DD.
      return embeddedReason('6to4 form', embeddedIpv4(address.parts, 1))
    case 'teredo':
      // Teredo hides the client IPv4 (inverted, in the last 32 bits) behind a relay and a NAT
      // mapping; no JWKS host needs it, so it is refused whole rather than decoded.
      return 'Teredo tunnel address range'
    case 'rfc6052':
      // The translator sits in the operator's network and forwards to any IPv4 it can route, private
      // ones included; the local-use prefix does not even fix where the IPv4 address sits.
      return 'NAT64 address range (reaches IPv4 networks through a translator)'
    case 'unicast':
      return address.match(GLOBAL_UNICAST_V6) ? null : 'address outside the IPv6 global unicast range 2000::/3'
    default:
      return describeRange(range)
  }
}

/**
 * null when Gatehouse may connect to `ip`: a globally routable unicast address. Otherwise the reason,
 * a noun phrase such as "private address range". Fails closed: anything that is not a plain IP
 * address in a spelling Node's `isIP` accepts (no zone id, no octal or hex IPv4) is refused.
 */
export function blockedAddressReason(ip: string): string | null {
  if (ip.includes('%')) return 'scoped address with a zone id (never globally routable)'
  const family = isIP(ip)
  // isIP accepts dotted decimal only, so ipaddr.js's inet_aton leniency (octal, hex) never applies.
  if (family === 4) return ipv4Reason(ipaddr.IPv4.parse(ip))
  if (family !== 6) return 'not an IP address'
  // The WHATWG parser gives the canonical hex spelling first: ipaddr.js reads `::1.2.3.4` (the
  // IPv4-compatible form) as IPv4-mapped, which would judge ::8.8.8.8 as if it were 8.8.8.8.
  let canonical: string
  try {
    canonical = new URL(`http://[${ip}]/`).hostname.slice(1, -1)
  } catch {
    return 'not an IP address'
  }
  return ipv6Reason(ipaddr.IPv6.parse(canonical))
}

/** True unless `ip` is a globally routable unicast address (see blockedAddressReason). */
export function isBlockedAddress(ip: string): boolean {
  return blockedAddressReason(ip) !== null
}

/** True for `localhost` and `*.localhost` (RFC 6761: always loopback), with or without a trailing dot. */
function isLocalhostName(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '')
  return name === 'localhost' || name.endsWith('.localhost')
}

/**
 * null when `url` may be used as a JWKS URL (a partner record, or any redirect hop), else a short
 * reason. The host is judged as the URL parser normalised it (`0x7f000001`, `2130706433` and
 * `127.1` are all 127.0.0.1), which is also the address a request to this URL connects to. Names
 * other than localhost are judged later, on the addresses they resolve to at connect time.
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
    const reason = isLocalhostName(host) ? 'loopback name' : isIP(host) !== 0 ? blockedAddressReason(host) : null
    if (reason) return `host ${host} is not globally routable: ${reason} (allowed only with JWKS_ALLOW_PRIVATE_NETWORK=true)`
  }
  return null
}
