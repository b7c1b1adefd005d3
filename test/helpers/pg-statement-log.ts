// A TCP proxy on 127.0.0.1 in front of the test PostgreSQL that logs every statement its clients run: each
// simple Query, and each Execute of an extended-protocol statement (named by its Parse). A test points a
// Gatehouse at it to count the database round trips a request makes.
import { type AddressInfo, type Socket, createServer, connect } from 'node:net'
import type { TestContext } from './build-app.js'

export interface StatementLog {
  /** The DATABASE_URL to give Gatehouse instead of `url`: the same database, through the proxy. */
  url: string
  /** SQL of every statement run so far, in arrival order across all connections. */
  readonly statements: string[]
}

/** Splits a client's byte stream into protocol messages and notes the statements among them. */
function frontendParser(onStatement: (sql: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0)
  let started = false
  /** Prepared statement name → SQL, per connection (names are per session). */
  const prepared = new Map<string, string>()
  let bound = ''
  const cString = (buf: Buffer, from: number) => {
    const end = buf.indexOf(0, from)
    return { text: buf.toString('utf8', from, end), next: end + 1 }
  }
  return (chunk) => {
    pending = Buffer.concat([pending, chunk])
    for (;;) {
      if (!started) {
        // The startup message (or an SSL request before it) has a length and no type byte.
        if (pending.length < 4) return
        const length = pending.readInt32BE(0)
        if (pending.length < length) return
        const code = pending.readInt32BE(4)
        pending = pending.subarray(length)
        if (code !== 80877103) started = true
        continue
      }
      if (pending.length < 5) return
      const type = String.fromCharCode(pending[0]!)
      const length = pending.readInt32BE(1)
      if (pending.length < 1 + length) return
      const body = pending.subarray(5, 1 + length)
      pending = pending.subarray(1 + length)
      if (type === 'Q') onStatement(cString(body, 0).text)
      else if (type === 'P') {
        const name = cString(body, 0)
        prepared.set(name.text, cString(body, name.next).text)
      } else if (type === 'B') {
        const portal = cString(body, 0)
        bound = prepared.get(cString(body, portal.next).text) ?? '?'
      } else if (type === 'E') onStatement(bound)
    }
  }
}

/** Starts the proxy in front of `url` (a postgres:// URL); stopped, with its connections, when the test ends. */
export async function startStatementLog(t: TestContext, url: string): Promise<StatementLog> {
  const target = new URL(url)
  const statements: string[] = []
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname)
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('close', () => sockets.delete(s))
      s.on('error', () => {
        client.destroy()
        upstream.destroy()
      })
    }
    const parse = frontendParser((sql) => statements.push(sql))
    client.on('data', (chunk) => {
      parse(chunk)
      upstream.write(chunk)
    })
    client.on('end', () => upstream.end())
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(async () => {
    for (const s of sockets) s.destroy()
    await new Promise((resolve) => server.close(resolve))
  })
  const proxied = new URL(url)
  proxied.hostname = '127.0.0.1'
  proxied.port = String((server.address() as AddressInfo).port)
  return { url: proxied.toString(), statements }
}

/** The statements on the users table logged since index `from`. */
export const userStatements = (log: StatementLog, from = 0): string[] => log.statements.slice(from).filter((sql) => /"users"/.test(sql))

/**
 * Repeats `request` until one runs no statement on the users table — the instance now answers that user from
 * its cache (its change listener has confirmed a heartbeat) — and throws if that takes more than `ms`.
 */
export async function untilUserCached(log: StatementLog, request: () => Promise<unknown>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    const from = log.statements.length
    await request()
    if (userStatements(log, from).length === 0) return
    if (Date.now() > deadline) throw new Error(`still reading the user from the database after ${ms} ms`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
