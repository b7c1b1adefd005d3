// The one local JWKS server every verifier fetches from; each server gets its own path so fetches are counted per server.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { PublicJwk } from './tokens.js'

export interface JwksServer {
  /** The JWKS URL for the server named `name`. */
  urlFor(name: string): string
  fetches(name: string): number
  close(): Promise<void>
}

export async function startJwksServer(keys: PublicJwk[]): Promise<JwksServer> {
  const body = JSON.stringify({ keys })
  const counts = new Map<string, number>()
  const server = createServer((req, res) => {
    const match = /^\/jwks\/([a-z0-9-]+)\.json$/.exec(req.url ?? '')
    if (!match || req.method !== 'GET') {
      res.writeHead(404).end()
      return
    }
    counts.set(match[1]!, (counts.get(match[1]!) ?? 0) + 1)
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=600' })
    res.end(body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    urlFor: (name) => `http://127.0.0.1:${port}/jwks/${name}.json`,
    fetches: (name) => counts.get(name) ?? 0,
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
