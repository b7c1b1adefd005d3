// What a CLI command is: its words, its options, and a run function given parsed arguments.
import type { ParseArgsConfig } from 'node:util'
import type { CliServices } from './cli-services.js'

/** The audit log's name for changes made through the CLI. */
export const CLI_ACTOR = 'cli'

export type OptionSpec = NonNullable<ParseArgsConfig['options']>

/** Where the CLI reads configuration and writes output; tests and the launcher pass the process's. */
export interface CliIo {
  env: Record<string, string | undefined>
  stdout: { write(chunk: string): unknown }
  stderr: { write(chunk: string): unknown }
  /** Resolves when the user asks a long-running command to stop (Ctrl-C, SIGTERM). */
  untilStopped(): Promise<void>
}

export interface CommandContext {
  /** Parsed `--option` values: strings, booleans for flags, arrays for repeatable options. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>
  /** The command's positional arguments, after its two words. */
  positionals: string[]
  json: boolean
  io: CliIo
  /** The store and use-cases, opened on first use from the server's configuration and closed after the command. */
  services(): Promise<CliServices>
  /** Writes `human` (text) or `machine` (as JSON) to stdout, depending on `--json`. */
  print(human: string, machine: unknown): void
  warn(line: string): void
}

export interface Command {
  /** The two words that name it, e.g. `['partners', 'create']`. */
  words: readonly [string, string]
  /** Arguments as shown in usage, e.g. `<id> [--keys]`. */
  synopsis: string
  summary: string
  options?: OptionSpec
  /** Names of the required positional arguments, in order. */
  positionals?: readonly string[]
  /** Optional positionals after the required ones. */
  optionalPositionals?: readonly string[]
  run(ctx: CommandContext): Promise<void>
}

export function stringOption(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name]
  return typeof v === 'string' ? v : undefined
}

/** A repeatable string option's values (empty when absent). */
export function stringsOption(ctx: CommandContext, name: string): string[] {
  const v = ctx.values[name]
  if (typeof v === 'string') return [v]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}
