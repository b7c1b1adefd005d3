// A real JWKS HTTP server on 127.0.0.1 (random port) that counts its requests; stopped when the test ends.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type Handler = (req: IncomingMessage, res: ServerResponse) => void

export interface JwksServer {
  url: string
  port: number
  requests: number
  setKeys(keys: object[]): void
  setHeaders(headers: Record<string, string>): void
  setHandler(fn: Handler | null): void
  close(): Promise<void>
}

export async function startJwksServer(t: { teardown(fn: () => unknown): void }, keys: object[] = []): Promise<JwksServer> {
  let current = keys
  let headers: Record<string, string> = {}
  let handler: Handler | null = null
  const server = createServer((req, res) => {
    api.requests++
    if (handler) return handler(req, res)
    res.writeHead(200, { 'content-type': 'application/json', ...headers })
    res.end(JSON.stringify({ keys: current }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  let closed = false
  const api: JwksServer = {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    port,
    requests: 0,
    setKeys: (k) => {
      current = k
    },
    setHeaders: (h) => {
      headers = h
    },
    setHandler: (fn) => {
      handler = fn
    },
    close: async () => {
      if (closed) return
      closed = true
      // A handler that never answers must not hold the test open.
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  t.teardown(api.close)
  return api
}
