// `gatehouse db …`: migrations and online backups of the configured database.
import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { CliError } from '../cli-error.js'
import type { Command } from '../command.js'
import { describeDatabase } from '../format.js'

const migrate: Command = {
  words: ['db', 'migrate'],
  synopsis: '',
  summary: 'apply pending migrations (idempotent; the server also applies them at start-up)',
  async run(ctx) {
    const { config, store } = await ctx.services()
    // Opening the store applies what is pending; readiness proves every migration is in.
    await store.checkReady()
    const where = describeDatabase(config.database)
    ctx.print(`Migrations applied; ${where} is up to date.`, { database: where, upToDate: true })
  },
}

/** The files SQLite keeps for one database: the file itself, its write-ahead log, shared-memory index and journal. */
const SQLITE_FILE_SUFFIXES = ['', '-wal', '-shm', '-journal']

/**
 * Whether `target` is one of the live database's files, by identity (device and inode) as well as by path:
 * a symlink or a hard link to the database is the database, whatever its path says.
 */
function isDatabaseFile(target: string, databasePath: string): boolean {
  const targetStat = statSync(target, { throwIfNoEntry: false })
  return SQLITE_FILE_SUFFIXES.some((suffix) => {
    const path = `${databasePath}${suffix}`
    if (resolve(path) === resolve(target)) return true
    const stat = statSync(path, { throwIfNoEntry: false })
    return targetStat !== undefined && stat !== undefined && targetStat.dev === stat.dev && targetStat.ino === stat.ino
  })
}

const backup: Command = {
  words: ['db', 'backup'],
  synopsis: '<file> [--force]',
  summary: 'write a consistent copy of the SQLite database, safe while the server runs (PostgreSQL: use pg_dump)',
  positionals: ['file'],
  options: { force: { type: 'boolean' } },
  async run(ctx) {
    const file = ctx.positionals[0]!
    const { loadConfig } = await import('../../config.js')
    const config = loadConfig(ctx.io.env)
    if (config.database.kind !== 'sqlite') throw new CliError('db backup covers SQLite only; for PostgreSQL use pg_dump "$DATABASE_URL"')
    // Opening the store first creates the database and its write-ahead log, so the identity check sees them.
    const { store } = await ctx.services()
    if (isDatabaseFile(file, config.database.path)) throw new CliError(`db backup: ${file} is the database itself; choose another file`)
    if (existsSync(file) && !ctx.values.force) throw new CliError(`db backup: ${file} exists; pass --force to overwrite it`)
    if (!store.backup) throw new CliError(`db backup is not supported for ${store.kind}; use the database's own tools (pg_dump)`)
    const started = Date.now()
    await store.backup(file)
    ctx.print(`Backed up ${config.database.path} to ${file} (${Date.now() - started} ms).`, { database: config.database.path, file })
  },
}

export const dbCommands: Command[] = [migrate, backup]
