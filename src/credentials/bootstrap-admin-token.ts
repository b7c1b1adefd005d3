// First start without ADMIN_TOKEN: create one admin token so the operator is never locked out, and hand it over
// without it ever entering the log stream.
import { dirname, resolve } from 'node:path'
import type { Config } from '../config.js'
import type { Store } from '../storage/types.js'
import { issueAdminToken } from './issue-admin-token.js'
import { writeOwnerOnlyFile } from './owner-only-file.js'

/** Returns the new secret when one was created (the caller hands it over once), else null. */
export async function bootstrapAdminToken(store: Store, configured: string | undefined): Promise<string | null> {
  if (configured !== undefined) return null
  if ((await store.adminTokens.countActive()) > 0) return null
  return (await issueAdminToken(store, 'bootstrap', 'bootstrap')).token
}

const FILE_NAME = 'admin-token'

/** Where a bootstrap token goes when it cannot be shown: beside the SQLite file, else in `./data/`. */
export function bootstrapTokenFile(database: Config['database']): string {
  const onDisk = database.kind === 'sqlite' && database.path !== ':memory:'
  return resolve(onDisk ? dirname(database.path) : 'data', FILE_NAME)
}

export interface BootstrapHandover {
  /** Standard output: the token is shown there only when it is a terminal, i.e. someone is watching. */
  terminal: { isTTY?: boolean; write(text: string): unknown }
  file: string
  log: { warn(fields: { file: string }, message: string): void }
}

/** Shows the token on a terminal, or writes it to an owner-only file and logs only that file's path. */
export function handOverBootstrapToken(token: string, to: BootstrapHandover): void {
  if (to.terminal.isTTY) {
    to.terminal.write(`\nNo ADMIN_TOKEN is set and no admin token exists: created one. It is shown only now:\n\n  ${token}\n\n`)
    return
  }
  writeOwnerOnlyFile(to.file, `${token}\n`)
  to.log.warn({ file: to.file }, 'no ADMIN_TOKEN is set and no admin token existed: created one, readable only by this user in the file named here')
}
