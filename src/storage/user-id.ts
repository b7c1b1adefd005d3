// Ids of new users: UUID version 7 (RFC 9562), whose first 48 bits are the creation time in milliseconds.
import { randomUUID } from 'node:crypto'

/**
 * Time-ordered, so a new user's id lands at the end of the primary-key index instead of on a random page:
 * a JIT burst then dirties one index page per commit rather than one per user (less WAL written on SQLite,
 * fewer page splits on both stores). The other 74 bits come from `randomUUID`'s CSPRNG, as in version 4.
 */
export function newUserId(ms: number): string {
  const random = randomUUID() // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx, V already the RFC 9562 variant
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12)
  return `${time.slice(0, 8)}-${time.slice(8)}-7${random.slice(15)}`
}
