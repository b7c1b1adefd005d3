// Reads and validates the environment into a frozen Config: the only reader of process.env.
import { isIP } from 'node:net'
import { z } from 'zod'

const booleanFlag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')
const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))

/** One address or CIDR block of a trusted proxy (`10.0.0.1`, `10.0.0.0/8`, `fd00::/8`). */
function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, ...rest] = entry.split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

/** `TRUST_PROXY`: `true`/`false`, a hop count, or comma-separated proxy addresses/CIDRs (Fastify's `trustProxy`). */
const trustProxy = z.string().transform((raw, ctx): boolean | number | string[] => {
  if (raw === 'true' || raw === 'false') return raw === 'true'
  if (/^\d+$/.test(raw)) {
    const hops = Number(raw)
    if (hops >= 1 && hops <= 100) return hops
  } else {
    const entries = raw.split(',').map((s) => s.trim())
    if (entries.every(isAddressOrCidr)) return entries
  }
  ctx.addIssue({ code: 'custom', message: 'must be true, false, a hop count (1–100) or comma-separated proxy addresses/CIDRs' })
  return z.NEVER
})

const ConfigSchema = z.object({
  PORT: wholeNumber(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z.string().min(1).default('./data/gatehouse.db'),
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  CLOCK_SKEW_SECONDS: wholeNumber(0, 3600).default(60),
  JWKS_ALLOW_PRIVATE_NETWORK: booleanFlag.default(false),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: trustProxy.default(false),
  METRICS_TOKEN: z.string().optional(),
  VERIFY_CACHE_MB: wholeNumber(0, 1_000_000).default(32),
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
  /** Fastify's `trustProxy`: which proxies' X-Forwarded-For names the client (false: the socket's address). */
  readonly trustProxy: boolean | number | readonly string[]
  /** When set, `/metrics` answers only to `Authorization: Bearer <metricsToken>`. */
  readonly metricsToken: string | undefined
  /** Memory budget of the verification-result cache in bytes; 0 turns it off. */
  readonly verifyCacheBytes: number
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
    trustProxy: Array.isArray(e.TRUST_PROXY) ? Object.freeze([...e.TRUST_PROXY]) : e.TRUST_PROXY,
    metricsToken: e.METRICS_TOKEN,
    verifyCacheBytes: e.VERIFY_CACHE_MB * 1024 * 1024,
    rateLimits: Object.freeze({
      authFailuresPerIp: e.AUTH_FAILURES_PER_MINUTE,
      perApiKey: e.API_KEY_REQUESTS_PER_MINUTE,
      perAdminToken: e.ADMIN_REQUESTS_PER_MINUTE,
    }),
  })
}
