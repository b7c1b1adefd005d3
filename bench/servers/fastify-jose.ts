// Peer: Fastify + jose, verifying with createRemoteJWKSet/jwtVerify as jose's documentation recommends.
import Fastify from 'fastify'
import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose'

// `claims`, not `user`: @fastify/jwt (the admin console's sessions) declares `request.user` for the whole program.
declare module 'fastify' {
  interface FastifyRequest {
    claims: JWTPayload | null
  }
}

const JWKS = createRemoteJWKSet(new URL(process.env.JWKS_URL!))
const options = { issuer: process.env.ISSUER!, audience: process.env.AUDIENCE!, algorithms: ['RS256'] }
const app = Fastify({ logger: false })
app.decorateRequest('claims', null)
app.get('/healthz', async () => ({ ok: true }))
app.register(async (scope) => {
  scope.addHook('onRequest', async (request, reply) => {
    const header = request.headers.authorization
    if (!header?.startsWith('Bearer ')) return reply.code(401).send({ error: 'missing_token' })
    try {
      request.claims = (await jwtVerify(header.slice(7), JWKS, options)).payload
    } catch {
      return reply.code(401).send({ error: 'invalid_token' })
    }
  })
  scope.get('/me', async (request) => ({ sub: request.claims!.sub, iss: request.claims!.iss }))
})
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
