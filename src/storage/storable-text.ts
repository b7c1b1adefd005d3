// The strings a database can hold exactly: well-formed Unicode without U+0000. PostgreSQL's text type refuses
// NUL, and an unpaired surrogate has no UTF-8 form (the driver would store U+FFFD, so "\ud800" and "\udfff"
// would become one value), so every string the API accepts, and every string a store is handed, obeys this.

export type TextFlaw = 'contains U+0000' | 'is not well-formed Unicode'

// Node 20 has String.prototype.isWellFormed; TypeScript declares it only from its ES2024 library on.
const isWellFormed = (value: string): boolean => (value as string & { isWellFormed(): boolean }).isWellFormed()

/** What keeps `value` from being stored exactly, or `null` when nothing does. */
export function textFlaw(value: string): TextFlaw | null {
  if (value.includes('\u0000')) return 'contains U+0000'
  if (!isWellFormed(value)) return 'is not well-formed Unicode'
  return null
}
