// The physical limit of a full verification: what one RS256 `crypto.verify` costs on this machine, timed in the
// same run as the servers (synchronous, one thread, the bench's own key and a pool token).
import { createPublicKey, verify } from 'node:crypto'
import { median } from './report.js'

const BATCH = 500
const BATCHES = 9

/** CPU µs of one synchronous `crypto.verify` of `token` with the key that signed it (median of batches). */
export function measureVerifyMicros(privateKeyPem: string, token: string): number {
  const key = createPublicKey(privateKeyPem)
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const input = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  const once = () => {
    if (!verify('sha256', input, key, sig)) throw new Error('the bench token does not verify with the bench key')
  }
  for (let i = 0; i < BATCH; i++) once()
  const perBatch: number[] = []
  for (let b = 0; b < BATCHES; b++) {
    const start = process.cpuUsage()
    for (let i = 0; i < BATCH; i++) once()
    const used = process.cpuUsage(start)
    perBatch.push((used.user + used.system) / BATCH)
  }
  return median(perBatch)
}

/**
 * The best ratio to the hello-world baseline a server can reach when each request must also run one
 * `crypto.verify` of `verifyMicros`: `hello_cpu / (hello_cpu + verify_µs)`.
 */
export const limitRatio = (helloCpuMicros: number, verifyMicros: number) => helloCpuMicros / (helloCpuMicros + verifyMicros)
