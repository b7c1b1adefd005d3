// `npm run bench [-- --quick] [--only a,b] [--rounds N] [--duration S] [--profile [--only me-verify|me-cached|me-jit|upsert] [--postgres]]`:
// the performance benchmark.
// Every server is its own child process on 127.0.0.1; servers of a scenario are measured in alternating
// rounds (A B C A B C …) and each figure is the median over rounds; ratios compare within a round.
// Each scenario lives in bench/scenarios/; this file selects them, prepares what they share and prints the summary.
import { mkdtempSync, rmSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BENCH_PARTNER } from './gatehouse.js'
import { type Context, elapsed, log, type Plan, type Scenario, VERIFY_TOKENS } from './harness.js'
import { startJwksServer } from './jwks-server.js'
import { freePort, spawnServer } from './processes.js'
import { PROFILED, type Profiled, profileScenario } from './profile-scenario.js'
import { type Target, targetsTable } from './report.js'
import { meCached } from './scenarios/me-cached.js'
import { meJit } from './scenarios/me-jit.js'
import { meVerify } from './scenarios/me-verify.js'
import { pgTwoInstances } from './scenarios/pg-two-instances.js'
import { scale } from './scenarios/scale.js'
import { tokens1m } from './scenarios/tokens-1m.js'
import { upsert } from './scenarios/upsert.js'
import { AUDIENCE, FAT_CLAIM_GROUPS, ISSUER, loadKeys, loadPool } from './tokens.js'
import { measureVerifyMicros } from './verify-cost.js'

/** In the order they run, which is also the order of the summary. */
const SCENARIOS: Scenario[] = [meVerify, meCached, meJit, upsert, scale, pgTwoInstances, tokens1m]
const NAMES = SCENARIOS.map((s) => s.name)

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    profile: { type: 'boolean', default: false },
    postgres: { type: 'boolean', default: false },
  },
})

const quick = args.quick ?? false
if (args.postgres && !args.profile) throw new Error('--postgres applies to --profile only (pg-two-instances measures PostgreSQL in a full run)')
const only = args.only ? args.only.split(',') : undefined
for (const s of only ?? []) if (!NAMES.includes(s)) throw new Error(`unknown scenario ${s} (known: ${NAMES.join(', ')})`)
// The quick run leaves out the two slowest set-ups (a million tokens; PostgreSQL instances).
const selected = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !(quick && (s === tokens1m || s === pgTwoInstances))))
const plan: Plan = {
  rounds: Number(args.rounds ?? (quick ? 2 : 3)),
  // Quick: under 2 minutes even on a fresh clone, which first mints its tokens and seeds the scale database.
  duration: Number(args.duration ?? (quick ? 2 : 8)),
  warmUpSeconds: quick ? 0.5 : 1,
  // `--quick --only tokens-1m` sends a tenth: minting and sending a million tokens takes minutes on its own.
  tokens1m: quick ? 100_000 : 1_000_000,
  fatTokens: quick ? 20_000 : 100_000,
  checkpoints: 5,
}
// me-jit spends a fresh sub per request; tokens-1m sends its tokens once each. Both draw on one cached pool.
const jitPoolSize = selected.includes(tokens1m) ? plan.tokens1m + 50_000 : quick || args.profile ? 50_000 : 400_000

async function main(): Promise<void> {
  const t0 = performance.now()
  log(`# Gatehouse benchmark (${quick ? 'quick' : 'full'}${only ? `, only ${only.join(',')}` : ''}${args.profile ? ', profile' : ''})`)
  log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${plan.rounds} rounds × ${plan.duration} s, 50 connections, loopback`)
  const keys = loadKeys()
  let t = performance.now()
  const verifyPool = await loadPool(keys, 'verify', 'v-', VERIFY_TOKENS)
  const needJit = args.profile ? only?.[0] === 'me-jit' : selected.some((s) => s === meJit || s === tokens1m)
  const progress = (done: number, total: number) => {
    if (done % 200_000 === 0 || done === total) log(`  tokens ready: ${done}/${total}`)
  }
  const jitPool = needJit ? await loadPool(keys, 'jit', 'j-', jitPoolSize, { onProgress: progress }) : verifyPool
  const fatPool = selected.includes(tokens1m) && !args.profile
    ? await loadPool(keys, 'fat', 'f-', plan.fatTokens, { onProgress: progress, extraClaimGroups: FAT_CLAIM_GROUPS })
    : null
  log(`tokens ready in ${elapsed(t)} (minted ones are cached in bench/.cache for a day)`)
  const jwks = await startJwksServer(keys.jwks)
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
  const hello = await spawnServer({ name: 'hello', args: ['--import', 'tsx', join('bench', 'servers', 'hello.ts')], port: await freePort(), env: {} })
  const timeVerify = () => measureVerifyMicros(keys.privateKeyPem, verifyPool.get(0))
  const ctx: Context = { plan, jwks, hello, tmp, keys, verifyPool, jitPool, fatPool, jitCursor: 0, verifyMicros: timeVerify() }
  try {
    if (args.profile) {
      const scenario = (only?.[0] ?? 'me-verify') as Profiled
      if (!PROFILED.includes(scenario)) throw new Error(`--profile supports ${PROFILED.join(', ')}`)
      await profileScenario(ctx, scenario, args.postgres)
      return
    }
    const targets: Target[] = []
    for (const scenario of SCENARIOS) {
      if (!selected.includes(scenario)) {
        targets.push(...scenario.targetsNotRun)
        continue
      }
      t = performance.now()
      ctx.verifyMicros = timeVerify()
      log(`\n## ${scenario.name}: ${scenario.describe(plan)}`)
      log(`crypto.verify (synchronous, one thread, RS256 2048-bit): ${ctx.verifyMicros.toFixed(1)} µs CPU`)
      const outcome = await scenario.run(ctx)
      if (outcome.report) log(`\n${outcome.report}`)
      targets.push(...outcome.targets)
      log(`(${scenario.name} took ${elapsed(t)})`)
    }
    log(`\n## Summary against the performance targets (medians over ${plan.rounds} rounds; ratios within the same round)\n`)
    log(targetsTable(targets))
    log(`\npartner ${BENCH_PARTNER}: iss ${ISSUER}, aud ${AUDIENCE}, RS256 2048-bit, JWKS with 2 keys looked up by kid`)
  } finally {
    await hello.stop()
    await jwks.close()
    rmSync(tmp, { recursive: true, force: true })
    log(`\ntotal ${elapsed(t0)}`)
  }
}

await main()
