// Fetches a partner's key documents (a JWKS, an OpenID discovery document) over http(s) with the documented limits: 5 s, 256 KiB, ≤ 3 redirects, public addresses only.
import type { LookupAddress } from 'node:dns'
import { lookup as dnsLookup } from 'node:dns/promises'
import http, { type IncomingMessage } from 'node:http'
import https from 'node:https'
import type { LookupFunction } from 'node:net'
import { blockedAddressReason, checkJwksUrl } from './network-policy.js'

export type JwksFetchFailure =
  | 'timeout'
  | 'http_status'
  | 'too_large'
  | 'invalid_json'
  | 'invalid_jwks'
  | 'invalid_discovery'
  | 'blocked_address'
  | 'bad_url'
  | 'too_many_redirects'
  | 'network'

export class JwksFetchError extends Error {
  override name = 'JwksFetchError'
  readonly reason: JwksFetchFailure
  constructor(reason: JwksFetchFailure, message: string) {
    super(message)
    this.reason = reason
  }
}

/** Every address a host name resolves to (the system resolver by default). */
export type ResolveHost = (hostname: string) => Promise<LookupAddress[]>

export interface JwksFetchOptions {
  allowPrivateNetwork: boolean
  timeoutMs?: number
  maxBytes?: number
  maxRedirects?: number
  /** The resolver behind the connect-time address check; consulted only when private networks are not allowed. */
  resolveHost?: ResolveHost
}

/** A JSON document as fetched, before its kind's own rules are applied. */
export interface FetchedDocument {
  body: unknown
  /** Raw `Cache-Control: max-age` (0 for no-store/no-cache), null when absent; the cache clamps it. */
  maxAgeSeconds: number | null
  /** The URL that answered, after redirects. */
  url: string
}

export interface JwksDocument extends Omit<FetchedDocument, 'body'> {
  keys: unknown[]
}

export const JWKS_TIMEOUT_MS = 5000
export const JWKS_MAX_BYTES = 256 * 1024
export const JWKS_MAX_REDIRECTS = 3

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

const systemResolveHost: ResolveHost = (hostname) => dnsLookup(hostname, { all: true })

/**
 * The socket's DNS lookup, refusing any host with a resolved address that is not globally routable
 * unicast, so the check holds on the address actually connected to (no DNS-rebinding window). Every
 * resolved address must pass, since the socket may try any of them. Answers in both callback forms:
 * Node 20's autoSelectFamily asks with `{ all: true }`. A refusal is an error with code `EBLOCKED`.
 */
export function createGuardedLookup(resolveHost: ResolveHost): LookupFunction {
  return (hostname, options, callback) => {
    const answer = (addresses: LookupAddress[]) => {
      for (const { address } of addresses) {
        const reason = blockedAddressReason(address)
        if (reason) return callback(Object.assign(new Error(`refused to connect to ${address}: ${reason}`), { code: 'EBLOCKED' }), '', 4)
      }
      if (addresses.length === 0) {
        return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), '', 4)
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses)
      callback(null, addresses[0]!.address, addresses[0]!.family)
    }
    resolveHost(hostname).then(answer, (err: NodeJS.ErrnoException) => callback(err, '', 4))
  }
}

function parseMaxAge(header: string | undefined): number | null {
  if (!header) return null
  if (/(?:^|,)\s*(?:no-store|no-cache)\s*(?:,|$)/i.test(header)) return 0
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(header)
  return match ? Number(match[1]) : null
}

type Hop =
  | { kind: 'redirect'; status: number; location: string | undefined }
  | { kind: 'body'; cacheControl: string | undefined; body: Buffer }

/** One request; rejects only with JwksFetchError, and destroys the request on every way out but success. */
function requestOnce(url: URL, label: string, options: Required<JwksFetchOptions>, signal: AbortSignal): Promise<Hop> {
  return new Promise((resolve, reject) => {
    const timeout = () => new JwksFetchError('timeout', `timed out after ${options.timeoutMs} ms`)
    if (signal.aborted) return reject(timeout())
    const client = url.protocol === 'https:' ? https : http
    const req = client.request(url, {
      method: 'GET',
      headers: { accept: 'application/json, application/jwk-set+json', 'user-agent': 'gatehouse-jwks' },
      // No pooled sockets: a reused connection would skip the connect-time address check, and
      // nothing is left open to keep the process alive.
      agent: false,
      ...(options.allowPrivateNetwork ? {} : { lookup: createGuardedLookup(options.resolveHost) }),
    })
    const fail = (err: JwksFetchError) => {
      reject(err)
      req.destroy()
    }
    // The deadline may fall while the body streams: fail even if the socket emits nothing more.
    const onAbort = () => fail(timeout())
    signal.addEventListener('abort', onAbort, { once: true })
    req.on('close', () => signal.removeEventListener('abort', onAbort))
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (signal.aborted) fail(timeout())
      else if (err.code === 'EBLOCKED') fail(new JwksFetchError('blocked_address', err.message))
      else fail(new JwksFetchError('network', `cannot reach ${url.host}: ${err.code ?? err.message}`))
    })
    req.on('response', (res: IncomingMessage) => {
      res.on('error', () => {}) // surfaces as the request's error or the deadline
      const status = res.statusCode ?? 0
      if (REDIRECT_STATUSES.has(status)) {
        resolve({ kind: 'redirect', status, location: res.headers.location })
        req.destroy() // the redirect body is not needed
        return
      }
      if (status < 200 || status > 299) return fail(new JwksFetchError('http_status', `${label} answered HTTP ${status}`))
      const tooLarge = () => new JwksFetchError('too_large', `${label} body exceeds ${options.maxBytes} bytes`)
      if (Number(res.headers['content-length']) > options.maxBytes) return fail(tooLarge())
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > options.maxBytes) fail(tooLarge())
        else chunks.push(chunk)
      })
      res.on('end', () => {
        if (size <= options.maxBytes) resolve({ kind: 'body', cacheControl: res.headers['cache-control'], body: Buffer.concat(chunks) })
      })
    })
    req.end()
  })
}

function parseJson(body: Buffer, label: string): unknown {
  try {
    return JSON.parse(body.toString('utf8').replace(/^\uFEFF/, ''))
  } catch {
    throw new JwksFetchError('invalid_json', `${label} body is not JSON`)
  }
}

/**
 * Fetches a JSON document (`label` names it in errors: "JWKS", "discovery document"). Throws
 * JwksFetchError (callers switch on `reason`); never leaves a socket open behind it. Unless
 * `allowPrivateNetwork`, connects only to globally routable unicast addresses: an IP-literal host is
 * refused as `bad_url`, a name with any such resolved address as `blocked_address`, on every redirect hop.
 */
export async function fetchJsonDocument(url: string, label: string, options: JwksFetchOptions): Promise<FetchedDocument> {
  const opts: Required<JwksFetchOptions> = {
    allowPrivateNetwork: options.allowPrivateNetwork,
    timeoutMs: options.timeoutMs ?? JWKS_TIMEOUT_MS,
    maxBytes: options.maxBytes ?? JWKS_MAX_BYTES,
    maxRedirects: options.maxRedirects ?? JWKS_MAX_REDIRECTS,
    resolveHost: options.resolveHost ?? systemResolveHost,
  }
  // One deadline for the whole fetch, redirects included.
  const signal = AbortSignal.timeout(opts.timeoutMs)
  let current = url
  for (let redirects = 0; ; redirects++) {
    // Node skips `lookup` for an IP-literal host, so checkJwksUrl's verdict on it is the address check.
    const problem = checkJwksUrl(current, opts.allowPrivateNetwork)
    if (problem) throw new JwksFetchError('bad_url', `${redirects ? 'redirect target' : `${label} URL`} ${problem}`)
    const target = new URL(current)
    const hop = await requestOnce(target, label, opts, signal)
    if (hop.kind === 'body') return { body: parseJson(hop.body, label), maxAgeSeconds: parseMaxAge(hop.cacheControl), url: current }
    if (!hop.location) throw new JwksFetchError('http_status', `${label} answered HTTP ${hop.status} without a Location header`)
    if (redirects >= opts.maxRedirects) throw new JwksFetchError('too_many_redirects', `more than ${opts.maxRedirects} redirects`)
    try {
      current = new URL(hop.location, target).toString()
    } catch {
      throw new JwksFetchError('bad_url', `redirect Location is not a valid URL`)
    }
  }
}

/** Fetches a JWKS: a JSON object with a `keys` array (each key is judged later, one by one). */
export async function fetchJwks(url: string, options: JwksFetchOptions): Promise<JwksDocument> {
  const { body, maxAgeSeconds, url: answeredBy } = await fetchJsonDocument(url, 'JWKS', options)
  const keys = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { keys?: unknown }).keys : undefined
  if (!Array.isArray(keys)) throw new JwksFetchError('invalid_jwks', 'JWKS is not a JSON object with a "keys" array')
  return { keys, maxAgeSeconds, url: answeredBy }
}
