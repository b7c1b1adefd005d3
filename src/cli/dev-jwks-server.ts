// A JWKS endpoint on loopback for integrators and the demo: the partner side of "bring your own JWT".
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PublicJwk } from './dev-keys.js'

export const DEV_JWKS_PATH = '/.well-known/jwks.json'

export interface DevJwksServer {
  url: string
  port: number
  setKeys(keys: PublicJwk[]): void
  close(): Promise<void>
}

export async function startDevJwksServer(options: { keys: PublicJwk[]; port?: number; host?: string }): Promise<DevJwksServer> {
  const host = options.host ?? '127.0.0.1'
  let keys = options.keys
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end()
    } else if (path === DEV_JWKS_PATH || path === '/jwks.json') {
      // A short max-age (Gatehouse clamps to ≥ 60 s) so a rotation during development shows up quickly.
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=60' }).end(JSON.stringify({ keys }))
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `the JWKS is at ${DEV_JWKS_PATH}` }))
    }
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const hostInUrl = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${hostInUrl}:${port}${DEV_JWKS_PATH}`,
    port,
    setKeys(next) {
      keys = next
    },
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
