// How many migrations a folder holds, by drizzle-kit's journal: a store is ready only once all are applied.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

export function countMigrations(folder: string): number {
  const journal = JSON.parse(readFileSync(join(folder, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] }
  return journal.entries.length
}
