// Worker thread: signs a contiguous range of fixed-width bench tokens with node:crypto (RS256), off the main thread.
// Plain JavaScript: Node 20 workers do not inherit the tsx loader. workerData is a MintJob (see tokens.ts).
import { Buffer } from 'node:buffer'
import { createPrivateKey, sign } from 'node:crypto'
import { parentPort, workerData } from 'node:worker_threads'

const job = workerData
const key = createPrivateKey(job.privateKeyPem)
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url')
const header = b64({ alg: 'RS256', typ: 'JWT', kid: job.kid })
/** Claims Gatehouse never reads (the fat-token variant), fixed-width and distinct for every token. */
const groups = (index) =>
  Array.from({ length: job.extraClaimGroups }, (_, j) => ({ id: `g${index}-${String(j).padStart(3, '0')}`, role: 'member' }))
const parts = []
for (let i = job.start; i < job.start + job.count; i++) {
  // Fixed-width subs, so every token of a job has the same length.
  const index = String(i).padStart(7, '0')
  const sub = `${job.subPrefix}${index}`
  const extra = job.extraClaimGroups ? { groups: groups(index) } : {}
  const payload = b64({ iss: job.iss, aud: job.aud, sub, email: `${sub}@bench.example`, name: `Bench ${sub}`, iat: job.iat, exp: job.exp, ...extra })
  const input = `${header}.${payload}`
  parts.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`)
}
parentPort.postMessage(parts.join('\n'))
