// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over a pre-imported KeyObject: synchronous, no per-call key parsing.
import { type KeyObject, verify } from 'node:crypto'

export function verifyRs256(key: KeyObject, signingInput: string, signature: Buffer): boolean {
  try {
    return verify('sha256', Buffer.from(signingInput), key, signature)
  } catch {
    // OpenSSL rejects some malformed signatures by throwing rather than returning false.
    return false
  }
}
