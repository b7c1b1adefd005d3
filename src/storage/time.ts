// Stores keep times as epoch milliseconds; the API speaks ISO-8601 UTC.
export const toIso = (ms: number): string => new Date(ms).toISOString()
export const toIsoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms))
