// Which fields of a partner write actually change the record: drives the version bump and the audit entry.
import type { PartnerFields, PartnerRecord } from './types.js'

export function changedPartnerFields(current: PartnerRecord, changes: Partial<PartnerFields>): (keyof PartnerFields)[] {
  return (Object.keys(changes) as (keyof PartnerFields)[]).filter(
    (k) => changes[k] !== undefined && changes[k] !== current[k],
  )
}
