// Keeps a UserCache in step with the shared database: LISTENs for the notices migration 0003's triggers send when
// users are updated or deleted, and proves the channel live with a heartbeat sent through the pool every second.
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { type UserCache, userCacheKey } from './user-cache.js'

export const USER_CHANNEL = 'gatehouse_users'
const HEARTBEAT_MS = 1000
const RECONNECT_MS = 1000

export interface UserChangeListenerOptions {
  connectionString: string
  /** Notices carry the schema of the table that changed; other schemas' notices are ignored. */
  schema: string
  /** Sends the heartbeats: a pool connection, so a heartbeat travels the way another instance's notice does. */
  pool: pg.Pool
  cache: UserCache
  now?: () => number
}

export interface UserChangeListener {
  close(): Promise<void>
}

/**
 * A notice is `[schema, partnerId, externalUserId]` (one user) or `[schema, partnerId]` (all of a partner's
 * users); a heartbeat is `{"from": listener id, "beat": n}`. Anything else is ignored.
 */
type Notice = [string, string, string?] | { from: string; beat: number }

export function startUserChangeListener({ connectionString, schema, pool, cache, now = Date.now }: UserChangeListenerOptions): UserChangeListener {
  const id = randomUUID()
  /** Heartbeat number → when it was sent, for the beats of the current connection not yet back. */
  const sent = new Map<number, number>()
  let beat = 0
  let client: pg.Client | null = null
  let listening = false
  let closed = false
  let reconnect: NodeJS.Timeout | undefined

  function onNotice(payload: string | undefined): void {
    let notice: Notice
    try {
      notice = JSON.parse(payload ?? '') as Notice
    } catch {
      return
    }
    if (Array.isArray(notice)) {
      if (notice[0] !== schema) return
      // Partner-wide notices are rare (a partner delete): clearing all is simpler than finding its keys.
      if (notice.length === 2) cache.clear()
      else cache.invalidate(userCacheKey(notice[1], notice[2]!))
      return
    }
    if (notice.from !== id || !listening) return
    const sentAt = sent.get(notice.beat)
    if (sentAt === undefined) return
    for (const n of sent.keys()) if (n <= notice.beat) sent.delete(n)
    cache.confirm(sentAt)
  }

  function lost(broken: pg.Client): void {
    if (client !== broken) return
    client = null
    listening = false
    sent.clear()
    cache.suspend()
    broken.end().catch(() => {})
    if (!closed) reconnect = setTimeout(connect, RECONNECT_MS).unref()
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString, application_name: `gatehouse-listener ${schema}`.slice(0, 63), keepAlive: true })
    client = next
    next.on('notification', (message) => {
      if (message.channel === USER_CHANNEL) onNotice(message.payload)
    })
    next.on('error', () => lost(next))
    next.on('end', () => lost(next))
    try {
      await next.connect()
      await next.query(`LISTEN ${USER_CHANNEL}`)
    } catch {
      lost(next)
      return
    }
    if (client !== next) return
    // Notices sent before LISTEN took effect were missed: start from empty. Only heartbeats sent from now on
    // (after this point, so after LISTEN) can confirm; the first goes at once.
    cache.clear()
    listening = true
    sendHeartbeat()
  }

  function sendHeartbeat(): void {
    if (!listening) return
    const n = ++beat
    sent.set(n, now())
    // A channel that stopped delivering (the cache is then off) must not make this grow: keep the last minute.
    if (sent.size > 60) sent.delete(n - 60)
    pool.query('select pg_notify($1, $2)', [USER_CHANNEL, JSON.stringify({ from: id, beat: n })]).catch(() => {})
  }

  const heartbeat = setInterval(sendHeartbeat, HEARTBEAT_MS).unref()

  void connect()
  return {
    async close() {
      closed = true
      clearInterval(heartbeat)
      clearTimeout(reconnect)
      const current = client
      client = null
      listening = false
      cache.suspend()
      await current?.end().catch(() => {})
    },
  }
}
