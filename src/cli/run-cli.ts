// Parses a command line, runs the command, and turns every expected failure into one line and an exit status.
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { describeExpectedError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError } from './cli-error.js'
import type { CliServices } from './cli-services.js'
import type { CliIo, Command, CommandContext } from './command.js'
import { consoleCommands } from './commands/console-commands.js'
import { credentialCommands } from './commands/credential-commands.js'
import { dbCommands } from './commands/db-commands.js'
import { devCommands } from './commands/dev-commands.js'
import { partnerCommands } from './commands/partner-commands.js'
import { userCommands } from './commands/user-commands.js'

export const COMMANDS: readonly Command[] = [...partnerCommands, ...userCommands, ...credentialCommands, ...consoleCommands, ...dbCommands, ...devCommands]

const GROUPS: readonly (readonly [string, string])[] = [
  ['partners', 'Partner records (validated and audited like the admin API; audit actor "cli")'],
  ['users', "Partners' users"],
  ['api-keys', 'Partner API keys'],
  ['admin-tokens', 'Admin tokens'],
  ['console', 'Admin console (/console)'],
  ['db', 'Database'],
  ['dev', 'Integrator tools (no database): keys, a local JWKS, test tokens'],
]

function commandLine(c: Command): string {
  return `gatehouse ${c.words.join(' ')}${c.synopsis ? ` ${c.synopsis}` : ''}`
}

function groupUsage(group: string): string {
  return COMMANDS.filter((c) => c.words[0] === group)
    .map((c) => `  ${commandLine(c)}\n      ${c.summary}`)
    .join('\n')
}

export function usage(): string {
  return [
    'Usage: gatehouse <command> [options]',
    '',
    ...GROUPS.flatMap(([group, title]) => [`${title}:`, groupUsage(group), '']),
    'Options for every command: --json (machine-readable output), -h/--help.',
    'Configuration: the server\'s environment (DATABASE_URL, JWKS_ALLOW_PRIVATE_NETWORK, …; see README).',
    'Exit status: 0 success, 1 error (one line on stderr), 2 usage error.',
    '',
  ].join('\n')
}

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  return pkg.version
}

interface Parsed {
  values: CommandContext['values']
  positionals: string[]
}

function parseCommandArgs(command: Command, args: string[]): Parsed {
  const name = command.words.join(' ')
  let parsed: Parsed
  try {
    parsed = parseArgs({
      args,
      options: { ...command.options, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    }) as Parsed
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      // Node's messages run on with advice about `--`; the first sentence is the useful part.
      throw new UsageError(`${name}: ${(err as Error).message.split('. ')[0]!.replace(/\.$/, '')}`)
    }
    throw err
  }
  if (parsed.values.help) return parsed
  const required = command.positionals ?? []
  const optional = command.optionalPositionals ?? []
  if (parsed.positionals.length < required.length) throw new UsageError(`${name}: missing <${required[parsed.positionals.length]}>`)
  if (parsed.positionals.length > required.length + optional.length) {
    throw new UsageError(`${name}: unexpected argument "${parsed.positionals[required.length + optional.length]}"`)
  }
  return parsed
}

/** Runs one command line; resolves to the exit status. Never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [group, action, ...rest] = argv
  if (group === undefined) {
    io.stderr.write(usage())
    return EXIT_USAGE
  }
  if (group === 'help' || group === '--help' || group === '-h') {
    io.stdout.write(usage())
    return EXIT_OK
  }
  if (group === '--version' || group === 'version') {
    io.stdout.write(`${version()}\n`)
    return EXIT_OK
  }
  if (!GROUPS.some(([g]) => g === group)) {
    io.stderr.write(`gatehouse: unknown command "${group}"\n\n${usage()}`)
    return EXIT_USAGE
  }
  const command = COMMANDS.find((c) => c.words[0] === group && c.words[1] === action)
  if (!command) {
    if (action === '--help' || action === '-h') {
      io.stdout.write(`Usage:\n${groupUsage(group)}\n`)
      return EXIT_OK
    }
    const what = action === undefined ? `"${group}" needs a subcommand` : `unknown command "${group} ${action}"`
    io.stderr.write(`gatehouse: ${what}\n\nUsage:\n${groupUsage(group)}\n`)
    return EXIT_USAGE
  }

  let services: CliServices | undefined
  try {
    const { values, positionals } = parseCommandArgs(command, rest)
    if (values.help) {
      io.stdout.write(`Usage: ${commandLine(command)}\n  ${command.summary}\n`)
      return EXIT_OK
    }
    const json = values.json === true
    const ctx: CommandContext = {
      values,
      positionals,
      json,
      io,
      async services() {
        // Loaded on first use: the store, zod schemas and drizzle cost most of a second that --help and dev commands skip.
        services ??= await (await import('./cli-services.js')).openCliServices(io.env)
        return services
      },
      print(human, machine) {
        io.stdout.write(json ? `${JSON.stringify(machine, null, 2)}\n` : `${human}\n`)
      },
      warn(line) {
        io.stderr.write(`${line}\n`)
      },
    }
    await command.run(ctx)
    return EXIT_OK
  } catch (err) {
    const expected = describeExpectedError(err)
    if (expected) {
      const hint = expected.exitCode === EXIT_USAGE ? ` (see: gatehouse ${command.words.join(' ')} --help)` : ''
      io.stderr.write(`gatehouse: ${expected.message}${hint}\n`)
      return expected.exitCode
    }
    // A bug, not a user error: keep the stack so it can be reported.
    io.stderr.write(`gatehouse: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`)
    return EXIT_FAILURE
  } finally {
    await services?.close().catch(() => undefined)
  }
}
