// Imports and checks a partner's static PEM key (when written and when loaded): SPKI or PKCS#1, RSA only, within the RSA key limits.
import { createPublicKey, type KeyObject } from 'node:crypto'
import { rsaKeyFlaw } from './rsa-key-limits.js'

// Exactly one block whose body is base64 only: a second key after the first END line would be stored
// but never used (createPublicKey reads the first block), so it is refused rather than silently ignored.
const PUBLIC_PEM = /^\s*-----BEGIN (PUBLIC KEY|RSA PUBLIC KEY)-----\r?\n[A-Za-z0-9+/=\s]+?\r?\n-----END \1-----\s*$/

/**
 * The block with each line flush left and without trailing blanks. A key pasted from YAML, a JSON pretty-print
 * or an indented document carries indentation, and OpenSSL refuses any line that does not start at column 0.
 */
const flushLeft = (pem: string) => pem.replace(/^[ \t]+|[ \t]+$/gm, '')

export type PublicKeyCheck = { ok: true; key: KeyObject; bits: number } | { ok: false; reason: string }

/** Never echoes the input: a pasted private key must not end up in an error body or a log. */
export function importRsaPublicKeyPem(pem: string): PublicKeyCheck {
  if (/PRIVATE KEY/.test(pem)) return { ok: false, reason: 'is a private key; paste the public key only' }
  const block = flushLeft(pem)
  if (!PUBLIC_PEM.test(block)) {
    return { ok: false, reason: 'must be a PEM "BEGIN PUBLIC KEY" (SPKI) or "BEGIN RSA PUBLIC KEY" (PKCS#1) block' }
  }
  let key: KeyObject
  try {
    key = createPublicKey(block)
  } catch {
    return { ok: false, reason: 'is not a parseable public key' }
  }
  if (key.asymmetricKeyType !== 'rsa') return { ok: false, reason: `is a ${key.asymmetricKeyType} key; RSA is required` }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  const flaw = rsaKeyFlaw(bits, key.asymmetricKeyDetails?.publicExponent ?? 0n)
  if (flaw) return { ok: false, reason: `is not accepted: ${flaw.reason}` }
  return { ok: true, key, bits }
}
