// Reads and validates the environment (SPEC §5) into a frozen Config: the only reader of process.env.
import { z } from 'zod'

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

const ConfigSchema = z.object({
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().min(1).default('./data/gatehouse.db'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CLOCK_SKEW_SECONDS: wholeNumber(0, 3600).default(60),
  JWKS_ALLOW_PRIVATE_NETWORK: booleanFlag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  VERIFY_CACHE_SIZE: wholeNumber(0, 10_000_000).default(10_000),
  AUTH_FAILURES_PER_MINUTE: wholeNumber(0, 10_000_000).default(1000),
  API_KEY_REQUESTS_PER_MINUTE: wholeNumber(0, 100_000_000).default(0),
  ADMIN_REQUESTS_PER_MINUTE: wholeNumber(0, 100_000_000).default(0),
})

export interface Config {
  readonly port: number
  readonly host: string
  readonly database: { readonly kind: 'sqlite'; readonly path: string } | { readonly kind: 'postgres'; readonly url: string }
  readonly adminToken: string | undefined
  readonly clockSkewSeconds: number
  readonly jwksAllowPrivateNetwork: boolean
  readonly logLevel: string
  /** Entries of the verification-result cache; 0 turns it off. */
  readonly verifyCacheSize: number
  /** Limits per minute; 0 turns a limit off. */
  readonly rateLimits: { readonly authFailuresPerIp: number; readonly perApiKey: number; readonly perAdminToken: number }
}

/** A configuration problem, reported as one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export function loadConfig(env: Record<string, string | undefined>): Config {
  // Empty strings mean "unset", as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const parsed = ConfigSchema.safeParse(present)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    throw new ConfigError(`Invalid configuration: ${String(issue.path[0])} ${issue.message}`)
  }
  const e = parsed.data
  const isPostgres = /^postgres(ql)?:\/\//.test(e.DATABASE_URL)
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    database: isPostgres
      ? Object.freeze({ kind: 'postgres' as const, url: e.DATABASE_URL })
      : Object.freeze({ kind: 'sqlite' as const, path: e.DATABASE_URL }),
    adminToken: e.ADMIN_TOKEN,
    clockSkewSeconds: e.CLOCK_SKEW_SECONDS,
    jwksAllowPrivateNetwork: e.JWKS_ALLOW_PRIVATE_NETWORK,
    logLevel: e.LOG_LEVEL,
    verifyCacheSize: e.VERIFY_CACHE_SIZE,
    rateLimits: Object.freeze({
      authFailuresPerIp: e.AUTH_FAILURES_PER_MINUTE,
      perApiKey: e.API_KEY_REQUESTS_PER_MINUTE,
      perAdminToken: e.ADMIN_REQUESTS_PER_MINUTE,
    }),
  })
}
