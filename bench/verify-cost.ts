// The physical limit of a full verification: what one RS256 `crypto.verify` costs on this machine, timed in the
// same run as the servers (synchronous, one thread, the bench's own key and a pool token).
import { execFileSync } from 'node:child_process'

/**
 * Timed in a fresh child process: process CPU time counts every thread, and the bench process's own background
 * threads (V8 marking the ~800 MB of token pools it has just read) doubled the figure when it was timed in place.
 */
const MEASURE = `
import { createPublicKey, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
const { privateKeyPem, token } = JSON.parse(readFileSync(0, 'utf8'))
const key = createPublicKey(privateKeyPem)
const [header, payload, signature] = token.split('.')
const input = Buffer.from(header + '.' + payload)
const sig = Buffer.from(signature, 'base64url')
const BATCH = 500
const once = () => {
  if (!verify('sha256', input, key, sig)) throw new Error('the bench token does not verify with the bench key')
}
for (let i = 0; i < BATCH; i++) once()
const perBatch = []
for (let b = 0; b < 9; b++) {
  const start = process.cpuUsage()
  for (let i = 0; i < BATCH; i++) once()
  const used = process.cpuUsage(start)
  perBatch.push((used.user + used.system) / BATCH)
}
perBatch.sort((a, b) => a - b)
process.stdout.write(String(perBatch[4]))
`

/** CPU µs of one synchronous `crypto.verify` of `token` with the key that signed it (median of 9 batches of 500). */
export function measureVerifyMicros(privateKeyPem: string, token: string): number {
  const out = execFileSync(process.execPath, ['--input-type=module', '--eval', MEASURE], { input: JSON.stringify({ privateKeyPem, token }) })
  const micros = Number(out.toString())
  if (!Number.isFinite(micros) || micros <= 0) throw new Error(`crypto.verify timing failed: ${out.toString()}`)
  return micros
}

/**
 * The best ratio to the hello-world baseline a server can reach when each request must also run one
 * `crypto.verify` of `verifyMicros`: `hello_cpu / (hello_cpu + verify_µs)`.
 */
export const limitRatio = (helloCpuMicros: number, verifyMicros: number) => helloCpuMicros / (helloCpuMicros + verifyMicros)
