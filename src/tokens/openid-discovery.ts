// Reads a partner's OpenID discovery document for the JWKS it names: same fetch limits as a JWKS, issuer compared exactly, jwks_uri under the jwksUrl rules.
import { fetchJsonDocument, type JwksFetchOptions, JwksFetchError } from './jwks-fetch.js'
import { checkJwksUrl } from './network-policy.js'

export interface DiscoveredJwks {
  jwksUrl: string
}

/** A document value as an error message may show it: short, whatever the document holds. */
function show(value: unknown): string {
  const s = JSON.stringify(value) ?? String(value)
  return s.length > 120 ? `${s.slice(0, 117)}...` : s
}

/**
 * The `jwks_uri` of the discovery document at `url`, checked: the document's `issuer` must be `issuer`
 * exactly (a document for another issuer must not supply this partner's keys) and `jwks_uri` must pass the
 * rules a `jwksUrl` must. Throws JwksFetchError: the fetch's own reasons, `invalid_discovery`, or `bad_url`.
 */
export async function discoverJwks(url: string, issuer: string, options: JwksFetchOptions): Promise<DiscoveredJwks> {
  const { body } = await fetchJsonDocument(url, 'discovery document', options)
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new JwksFetchError('invalid_discovery', 'discovery document is not a JSON object')
  }
  const doc = body as { issuer?: unknown; jwks_uri?: unknown }
  if (doc.issuer !== issuer) {
    const found = doc.issuer === undefined ? 'missing' : show(doc.issuer)
    throw new JwksFetchError('invalid_discovery', `discovery document's issuer is ${found}, expected the partner's jwtIssuer ${show(issuer)}`)
  }
  if (typeof doc.jwks_uri !== 'string') {
    throw new JwksFetchError('invalid_discovery', `discovery document's jwks_uri is ${doc.jwks_uri === undefined ? 'missing' : 'not a string'}`)
  }
  const problem = checkJwksUrl(doc.jwks_uri, options.allowPrivateNetwork)
  if (problem) throw new JwksFetchError('bad_url', `discovery document's jwks_uri ${problem}`)
  return { jwksUrl: doc.jwks_uri }
}
