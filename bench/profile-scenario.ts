// `--profile`: one Gatehouse under one scenario's load with `node --cpu-prof`, and the profile summarised.
import { mkdirSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startGatehouse } from './gatehouse.js'
import { type Context, cycle, log, meRequest, provisionPass, sequence, warmUp } from './harness.js'
import { type LoadSpec, measure } from './load.js'
import { createBenchSchema } from './postgres.js'
import { summarizeProfile } from './profile.js'
import { fmt } from './report.js'
import { upsertRequest } from './scenarios/upsert.js'
import { CACHE_DIR } from './tokens.js'

export const PROFILED = ['me-verify', 'me-cached', 'me-jit', 'upsert'] as const
export type Profiled = (typeof PROFILED)[number]

/** With `postgres`, the profiled Gatehouse runs on a throw-away PostgreSQL schema instead of a SQLite file. */
export async function profileScenario(ctx: Context, scenario: Profiled, postgres = false): Promise<void> {
  const schema = postgres ? await createBenchSchema() : null
  try {
    await profile(ctx, scenario, schema?.url ?? join(ctx.tmp, 'profile.db'))
  } finally {
    await schema?.drop()
  }
}

async function profile(ctx: Context, scenario: Profiled, databaseUrl: string): Promise<void> {
  const dir = join(CACHE_DIR, 'profiles', `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  mkdirSync(dir, { recursive: true })
  const options = {
    name: 'gatehouse-profile',
    databaseUrl,
    verifyCacheMb: scenario === 'me-verify' ? 0 : undefined,
    jwksUrl: ctx.jwks.urlFor('gatehouse-profile'),
  }
  // Set up and provision without the profiler, then restart on the same database with it, so the
  // profile holds start-up and the measured load only (not the 10,000 JIT inserts of the warm-up).
  const setup = await startGatehouse(options)
  try {
    if (scenario === 'me-verify' || scenario === 'me-cached') await provisionPass(setup, ctx.verifyPool)
  } finally {
    await setup.stop()
  }
  let request: LoadSpec['request']
  if (scenario === 'me-jit') request = meRequest(sequence(ctx.jitPool).next)
  else if (scenario === 'upsert') request = upsertRequest(setup.apiKey)
  else request = meRequest(cycle(ctx.verifyPool))
  const gatehouse = await startGatehouse({ ...options, cpuProfileDir: dir, setup: false })
  try {
    // me-cached: the restarted server's result cache is empty; this pass fills it.
    if (scenario === 'me-cached') await provisionPass(gatehouse, ctx.verifyPool)
    else await warmUp(ctx, gatehouse, request)
    const s = await measure(gatehouse, { duration: ctx.plan.duration, request })
    log(`profiled ${scenario}: ${fmt(s.rps)} req/s, ${fmt(s.cpuPerRequest)} µs CPU/request (profiler on), ${s.non2xx + s.errors} non-2xx+errors`)
  } finally {
    await gatehouse.stop()
  }
  // The largest profile is the main thread's (tsx's loader thread writes a small one too).
  const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
  const main = files.map((f) => join(dir, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0]
  if (!main) throw new Error(`no .cpuprofile written in ${dir}`)
  log(`profile: ${main}\n`)
  log(summarizeProfile(main))
}
