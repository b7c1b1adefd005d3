// Baseline: hello-world Fastify answering the same routes with a constant small JSON (no auth, no logging).
import Fastify from 'fastify'

const app = Fastify({ logger: false })
app.get('/healthz', async () => ({ ok: true }))
app.get('/me', async () => ({ hello: 'world' }))
app.post('/integrations/users', async () => ({ hello: 'world' }))
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)))
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' })
