// Starts Gatehouse the real way (node with `npm start`'s arguments) and sets it up through its admin API.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { npmStartSteps } from '../scripts/npm-start-steps.js'
import { freePort, ROOT, type ServerProcess, spawnServer } from './processes.js'
import { AUDIENCE, ISSUER, TOKEN_LIFETIME_SECONDS } from './tokens.js'

export const BENCH_PARTNER = 'bench-partner'

export interface Gatehouse extends ServerProcess {
  /** A partner API key of the bench partner. */
  apiKey: string
}

export interface GatehouseOptions {
  name: string
  /** DATABASE_URL: a SQLite file path, or a postgres:// URL. */
  databaseUrl: string
  /** VERIFY_CACHE_MB; undefined keeps Gatehouse's default. */
  verifyCacheMb?: number
  jwksUrl: string
  /** Write a V8 CPU profile of the server into this folder when it exits. */
  cpuProfileDir?: string
  /** False when the database already holds the bench partner (a restart): skip the admin set-up. */
  setup?: boolean
}

async function call(url: string, method: string, token: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`)
  return JSON.parse(text) as Record<string, unknown>
}

/** The node arguments of `npm start`'s server step; the steps before it (a build) run here once, to completion. */
let serverArgs: string[] | undefined
function npmStartArgs(): string[] {
  if (serverArgs) return serverArgs
  const { before, server } = npmStartSteps()
  for (const args of before) execFileSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' })
  serverArgs = server
  return serverArgs
}

export async function startGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  const adminToken = `bench-admin-${randomBytes(16).toString('hex')}`
  const profiling = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : []
  const server = await spawnServer({
    name: options.name,
    args: [...profiling, ...npmStartArgs()],
    port: await freePort(),
    env: {
      DATABASE_URL: options.databaseUrl,
      ADMIN_TOKEN: adminToken,
      JWKS_ALLOW_PRIVATE_NETWORK: 'true',
      LOG_LEVEL: 'warn',
      ...(options.verifyCacheMb === undefined ? {} : { VERIFY_CACHE_MB: String(options.verifyCacheMb) }),
    },
  })
  if (options.setup === false) return { ...server, apiKey: '' }
  const partner = await call(`${server.url}/admin/partners`, 'POST', adminToken, {
    id: BENCH_PARTNER,
    name: 'Bench partner',
    jwtIssuer: ISSUER,
    jwksUrl: options.jwksUrl,
    jwtAudience: AUDIENCE,
    maxTokenLifetimeSeconds: TOKEN_LIFETIME_SECONDS,
  })
  const warnings = partner.warnings as string[] | undefined
  if (warnings?.length) throw new Error(`${options.name}: partner setup warned: ${warnings.join('; ')}`)
  const key = await call(`${server.url}/admin/partners/${BENCH_PARTNER}/api-keys`, 'POST', adminToken)
  return { ...server, apiKey: key.key as string }
}
