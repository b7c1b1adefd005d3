// Floor: the baseline plus one RS256 signature check per request and nothing else (no claims, no users, no
// logging): what any verifying server on this machine pays at least. The check runs on the thread pool as
// Gatehouse's does, or inline on the event loop with VERIFY_INLINE=true.
import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import Fastify from 'fastify'

const jwks = (await (await fetch(process.env.JWKS_URL!)).json()) as { keys: Array<{ kid: string }> }
const keys = new Map<string, KeyObject>(jwks.keys.map((k) => [k.kid, createPublicKey({ key: k, format: 'jwk' })]))
const inline = process.env.VERIFY_INLINE === 'true'

function check(token: string, done: (ok: boolean) => void): void {
  const parts = token.split('.')
  if (parts.length !== 3) return done(false)
  const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString()) as { kid: string }
  const key = keys.get(header.kid)
  if (!key) return done(false)
  const input = Buffer.from(`${parts[0]}.${parts[1]}`)
  const signature = Buffer.from(parts[2]!, 'base64url')
  if (inline) return done(verify('sha256', input, key, signature))
  verify('sha256', input, key, signature, (err, ok) => done(err === null && ok))
}

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ ok: true }))
app.get('/me', (request, reply) => {
  const header = request.headers.authorization
  if (!header?.startsWith('Bearer ')) return void reply.code(401).send({ error: 'missing_token' })
  check(header.slice(7), (ok) => void (ok ? reply.send({ hello: 'world' }) : reply.code(401).send({ error: 'invalid_token' })))
})
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
