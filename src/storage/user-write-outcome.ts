// How both stores turn a user write that meets a deleted partner's foreign key into an outcome.
import type { UserWriteOutcome } from './types.js'

const PARTNER_NOT_FOUND: UserWriteOutcome = { ok: false, reason: 'partner_not_found' }

/**
 * A catch handler for user writes: the partner was deleted since the caller looked it up (by this instance
 * or another), so the insert broke the foreign key; that answers `partner_not_found`, anything else rethrows.
 */
export function partnerGoneAsOutcome(isForeignKeyViolation: (err: unknown) => boolean): (err: unknown) => UserWriteOutcome {
  return (err) => {
    if (isForeignKeyViolation(err)) return PARTNER_NOT_FOUND
    throw err
  }
}
