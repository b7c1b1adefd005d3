// Human-readable output helpers: aligned tables, key/value blocks, a database named without its password.
import type { Config } from '../config.js'

/** Left-aligned columns separated by two spaces; the first row is the header. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = []
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)))
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n')
}

/** `label  value` lines, labels padded to one width; null and undefined values are shown as `-`. */
export function formatFields(fields: readonly (readonly [string, string | number | null | undefined])[], indent = '  '): string {
  const width = Math.max(...fields.map(([label]) => label.length))
  return fields.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value ?? '-'}`).join('\n')
}

/** Where the database is, for messages: a PostgreSQL URL may carry a password, so only host and path are shown. */
export function describeDatabase(database: Config['database']): string {
  if (database.kind === 'sqlite') return database.path
  try {
    const url = new URL(database.url)
    return `postgres://${url.host}${url.pathname}`
  } catch {
    return 'postgres://…'
  }
}
