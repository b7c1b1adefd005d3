// RS256 (RSASSA-PKCS1-v1_5 with SHA-256) over a pre-imported KeyObject: no per-call key parsing.
import { type KeyObject, verify } from 'node:crypto'

/**
 * Runs on libuv's thread pool (crypto.verify with a callback), not the event loop: the RSA operation is
 * the largest single cost of a full verification, and off the loop it overlaps with parsing, routing
 * and writing other requests. Measured in bench `me-verify` against the synchronous form.
 */
export function verifyRs256(key: KeyObject, signingInput: string, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify('sha256', Buffer.from(signingInput), key, signature, (err, ok) => resolve(err === null && ok))
    } catch {
      // OpenSSL rejects some malformed signatures by throwing rather than returning false.
      resolve(false)
    }
  })
}
