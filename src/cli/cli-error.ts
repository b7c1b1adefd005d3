// The CLI's expected failures: one line on stderr and an exit status, never a stack trace.
import { AppError } from '../errors.js'

export const EXIT_OK = 0
export const EXIT_FAILURE = 1
export const EXIT_USAGE = 2

/** A failure the user can act on; `exitCode` 1 unless it is a usage error. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message)
  }
}

/** Wrong command line: unknown command or option, missing argument. Exit status 2. */
export class UsageError extends CliError {
  override name = 'UsageError'
  constructor(message: string) {
    super(message, EXIT_USAGE)
  }
}

/** The one line to print for an expected error, or null for a bug. */
export function describeExpectedError(err: unknown): { message: string; exitCode: number } | null {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode }
  // By name: importing config.ts (and zod) just for instanceof would slow every `--help`.
  if (err instanceof Error && err.name === 'ConfigError') return { message: err.message, exitCode: EXIT_FAILURE }
  if (err instanceof AppError) {
    // Validation problems name each field the way the admin API's `errors` do, without the JSON-pointer slash.
    const message =
      err.code === 'invalid_request' && err.errors?.length
        ? err.errors.map((e) => `${e.path.replace(/^\//, '').replaceAll('/', '.')}: ${e.message}`).join('; ')
        : err.detail
    return { message, exitCode: EXIT_FAILURE }
  }
  // System and driver errors (EACCES, ENOENT, SQLITE_BUSY…) carry a code and a message meant for people.
  const code = (err as { code?: unknown } | null)?.code
  if (err instanceof Error && typeof code === 'string') return { message: err.message, exitCode: EXIT_FAILURE }
  return null
}
