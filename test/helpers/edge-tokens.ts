// Hand-assembled RS256 tokens for edge tests: odd header values jose refuses to sign, exact byte lengths, and a genuine x5c certificate.
import { sign, X509Certificate } from 'node:crypto'
import type { TestKey } from './keys.js'

/** A part as given: raw bytes, an exact JSON text, or an object to serialise. */
export type TokenPart = Buffer | string | object

const encodePart = (part: TokenPart) =>
  (Buffer.isBuffer(part) ? part : Buffer.from(typeof part === 'string' ? part : JSON.stringify(part))).toString('base64url')

/**
 * Signs `header.payload` with RSASSA-PKCS1-v1_5 / SHA-256 whatever the header says (`alg: 'rs256'`, a
 * numeric `kid`, …). A string part is taken as the exact JSON text, for duplicate members and odd spacing;
 * a Buffer as the exact bytes, for encodings no JSON serialiser produces.
 */
export function signedToken(key: TestKey, header: TokenPart, payload: TokenPart): string {
  const input = `${encodePart(header)}.${encodePart(payload)}`
  return `${input}.${sign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
}

/** Unpadded base64url length of `bytes` bytes. */
const encodedLength = (bytes: number) => Math.floor(bytes / 3) * 4 + [0, 2, 3][bytes % 3]!

/**
 * A validly signed token of exactly `totalBytes` bytes: `claims` padded with a `pad` claim, and the header
 * with a `pad` member when the payload alone cannot reach the length (base64url never has a length 4k + 1).
 */
export function tokenOfLength(key: TestKey, header: object, claims: object, totalBytes: number): string {
  const signatureLength = encodedLength(key.bits / 8)
  for (let headerPad = 0; headerPad < 4; headerPad++) {
    const fullHeader = headerPad === 0 ? header : { ...header, pad: 'h'.repeat(headerPad) }
    const headerLength = encodePart(fullHeader).length
    const emptyPayloadBytes = Buffer.byteLength(JSON.stringify({ ...claims, pad: '' }))
    for (let pad = 0; pad <= totalBytes; pad++) {
      const length = headerLength + 1 + encodedLength(emptyPayloadBytes + pad) + 1 + signatureLength
      if (length > totalBytes) break
      if (length === totalBytes) {
        const token = signedToken(key, fullHeader, { ...claims, pad: 'p'.repeat(pad) })
        if (Buffer.byteLength(token) !== totalBytes) throw new Error(`tokenOfLength: built ${Buffer.byteLength(token)} bytes, wanted ${totalBytes}`)
        return token
      }
    }
  }
  throw new Error(`tokenOfLength: no token of ${totalBytes} bytes`)
}

/** A DER element: tag, definite length, contents. */
function der(tag: number, ...contents: Buffer[]): Buffer {
  const body = Buffer.concat(contents)
  const n = body.length
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]
  return Buffer.concat([Buffer.from([tag, ...length]), body])
}

const sequence = (...contents: Buffer[]) => der(0x30, ...contents)
const SHA256_WITH_RSA = sequence(der(0x06, Buffer.from('2a864886f70d01010b', 'hex')), der(0x05))
const commonName = (cn: string) => sequence(der(0x31, sequence(der(0x06, Buffer.from('550403', 'hex')), der(0x0c, Buffer.from(cn)))))
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`))

/**
 * A self-signed X.509 certificate for `key`, base64 DER as an `x5c` header carries it: what an attacker
 * would attach so that a verifier trusting the token's own headers checks the attacker's signature.
 */
export function selfSignedCertificate(key: TestKey, cn = 'attacker.example'): string {
  const spki = key.publicKey.export({ type: 'spki', format: 'der' })
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))),
    der(0x02, Buffer.from([1])),
    SHA256_WITH_RSA,
    commonName(cn),
    sequence(utcTime(new Date(Date.UTC(2020, 0, 1))), utcTime(new Date(Date.UTC(2040, 0, 1)))),
    commonName(cn),
    spki,
  )
  const certificate = sequence(tbs, SHA256_WITH_RSA, der(0x03, Buffer.from([0]), sign('sha256', tbs, key.privateKey)))
  // Parsed and checked by OpenSSL, so a test using it attaches a certificate a careless verifier would accept.
  const parsed = new X509Certificate(certificate)
  if (!parsed.verify(key.publicKey) || !parsed.publicKey.equals(key.publicKey)) throw new Error('selfSignedCertificate: not a valid certificate')
  return certificate.toString('base64')
}
