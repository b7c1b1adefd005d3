// Counts failed authentications per client IP in fixed one-minute windows (bounded memory).
import { LRUCache } from 'lru-cache'

export interface AuthFailureLimiter {
  /** Seconds until the IP may try again, or 0 when it is not blocked. */
  blockedFor(ip: string): number
  recordFailure(ip: string): void
}

const WINDOW_MS = 60_000

// @fastify/rate-limit counts every request; this counts only refusals, so legitimate traffic never
// spends the budget that stops credential and token guessing.
export function createAuthFailureLimiter(limitPerMinute: number, now: () => number): AuthFailureLimiter {
  // A size bound of one per entry rather than `max`: lru-cache allocates `max` slots up front (~3 MB for
  // 100,000), while this map is nearly empty unless someone is guessing.
  const windows = new LRUCache<string, { start: number; failures: number }>({ maxSize: 100_000, sizeCalculation: () => 1 })
  const current = (ip: string) => {
    const w = windows.get(ip)
    return w && now() - w.start < WINDOW_MS ? w : undefined
  }
  return {
    blockedFor(ip) {
      if (limitPerMinute === 0) return 0
      const w = current(ip)
      return w && w.failures >= limitPerMinute ? Math.ceil((w.start + WINDOW_MS - now()) / 1000) : 0
    },
    recordFailure(ip) {
      if (limitPerMinute === 0) return
      const w = current(ip)
      if (w) w.failures++
      else windows.set(ip, { start: now(), failures: 1 })
    },
  }
}
