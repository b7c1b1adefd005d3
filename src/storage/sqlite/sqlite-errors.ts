// Which SQLite constraint a better-sqlite3 error reports (extended result codes).

// A taken primary key (partner id) is SQLITE_CONSTRAINT_PRIMARYKEY, a taken unique column SQLITE_CONSTRAINT_UNIQUE.
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: string })?.code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

/** A row naming a partner that no longer exists (users and API keys reference partners). */
export function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string })?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY'
}
