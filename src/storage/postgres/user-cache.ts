// The PostgreSQL store's per-instance user cache: answers a warm GET /me without a database round trip, and
// never serves a user more than 5 s behind a change committed by another instance (docs/reference.md, Users;
// README, "User cache on PostgreSQL"). Change notices and heartbeats arrive from user-change-listener.ts.
import { LRUCache } from 'lru-cache'
import type { UserRecord } from '../types.js'

/** Users kept per instance, as on SQLite. */
const USER_CACHE_SIZE = 10_000

/**
 * Entries are served only while a heartbeat sent at most this long ago has come back through the listener.
 * Notices arrive in commit order, so that heartbeat proves every change committed before it was sent has been
 * applied here: no entry served is more than this far behind the database, 1 s inside the contract's 5 s.
 */
export const MAX_STALENESS_MS = 4000

/** Keys with a recent invalidation, remembered so a read that started before it cannot cache what it read. */
const RECENT_INVALIDATIONS = 10_000

export const userCacheKey = (partnerId: string, externalUserId: string) => `${partnerId}\u0000${externalUserId}`

export class UserCache {
  private readonly entries = new LRUCache<string, UserRecord>({ max: USER_CACHE_SIZE })
  /** Counts invalidations; a read or write notes it before going to the database. */
  private tick = 0
  /** Key → tick of its last invalidation. */
  private readonly invalidated = new Map<string, number>()
  /** Reads and writes that started before this tick may not fill the cache (a clear, or forgotten invalidations). */
  private fillableFrom = 0
  /** Send time of the newest heartbeat that came back; 0 = not listening. */
  private confirmedAt = 0

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached user, or undefined when absent or when the listener has not confirmed recently enough. */
  lookup(key: string): UserRecord | undefined {
    if (this.now() - this.confirmedAt > MAX_STALENESS_MS) return undefined
    return this.entries.get(key)
  }

  /** Call before a database read or write of a user; hand the result to `filled` or `written`. */
  mark(): number {
    return this.tick
  }

  /** A read's result, cached unless the key changed since the read started (a notice may have overtaken it). */
  filled(key: string, since: number, user: UserRecord | null): void {
    if (user && this.unchangedSince(key, since)) this.entries.set(key, user)
  }

  /**
   * This instance's own write: the row it returned is the newest unless another change overtook it, so it is
   * cached (the very next request here sees it), and reads that started before it can no longer fill the key.
   */
  written(key: string, since: number, user: UserRecord | null): void {
    const clean = this.unchangedSince(key, since)
    this.invalidate(key)
    if (user && clean) this.entries.set(key, user)
  }

  /** A change notice for one user. */
  invalidate(key: string): void {
    this.tick++
    this.entries.delete(key)
    if (this.invalidated.size >= RECENT_INVALIDATIONS) {
      // Forgetting which keys changed: whatever started before now may not fill any key.
      this.invalidated.clear()
      this.fillableFrom = this.tick
    }
    this.invalidated.set(key, this.tick)
  }

  /** Everything goes: a partner's users changed wholesale (a delete's cascade), or notices may have been missed. */
  clear(): void {
    this.tick++
    this.entries.clear()
    this.invalidated.clear()
    this.fillableFrom = this.tick
  }

  /** A heartbeat sent at `sentAt` came back: every change committed before then has been applied. */
  confirm(sentAt: number): void {
    if (sentAt > this.confirmedAt) this.confirmedAt = sentAt
  }

  /** The listener lost its connection: nothing is served until a heartbeat sent after it listens again returns. */
  suspend(): void {
    this.confirmedAt = 0
    this.clear()
  }

  private unchangedSince(key: string, since: number): boolean {
    return since >= this.fillableFrom && (this.invalidated.get(key) ?? 0) <= since
  }
}
