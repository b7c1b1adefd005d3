// `npm run bench [-- --quick] [--only a,b] [--rounds N] [--duration S] [--profile [--only me-verify|me-cached|me-jit|upsert]]`: the performance benchmark.
// Every server is its own child process on 127.0.0.1; servers of a scenario are measured in alternating
// rounds (A B C A B C …) and each figure is the median over rounds; ratios compare within a round.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { MAX_TOKEN_BYTES } from '../src/tokens/decode-token.js'
import { BENCH_PARTNER, type Gatehouse, startGatehouse } from './gatehouse.js'
import { type JwksServer, startJwksServer } from './jwks-server.js'
import { type LoadSpec, measure, measureSpread, rotatingRequest, type Sample } from './load.js'
import { type BenchSchema, createBenchSchema } from './postgres.js'
import { summarizeProfile } from './profile.js'
import { freePort, type ServerProcess, spawnServer } from './processes.js'
import { fmt, mb, median, type Row, scenarioTable, summarize, table, type Target, targetsTable } from './report.js'
import { SEED_PARTNERS, SEED_USERS, seedScaleDatabase, seedUsers } from './seed.js'
import { AUDIENCE, CACHE_DIR, FAT_CLAIM_GROUPS, ISSUER, loadKeys, loadPool, subOf, type TokenPool } from './tokens.js'

const SCENARIOS = ['me-verify', 'me-cached', 'me-jit', 'upsert', 'scale', 'pg-two-instances', 'tokens-1m'] as const
type Scenario = (typeof SCENARIOS)[number]

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    profile: { type: 'boolean', default: false },
  },
})

const quick = args.quick ?? false
const only = args.only ? (args.only.split(',') as Scenario[]) : undefined
for (const s of only ?? []) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s} (known: ${SCENARIOS.join(', ')})`)
// The quick run leaves out the two slowest set-ups (a million tokens; PostgreSQL instances).
const selected = SCENARIOS.filter((s) => (only ? only.includes(s) : !(quick && (s === 'tokens-1m' || s === 'pg-two-instances'))))
const plan = {
  rounds: Number(args.rounds ?? (quick ? 2 : 3)),
  // Quick: under 2 minutes even on a fresh clone, which first mints its tokens and seeds the scale database.
  duration: Number(args.duration ?? (quick ? 2 : 8)),
  warmUpSeconds: quick ? 0.5 : 1,
  // `--quick --only tokens-1m` sends a tenth: minting and sending a million tokens takes minutes on its own.
  tokens1m: quick ? 100_000 : 1_000_000,
  /** tokens-1m's fat-token variant: enough distinct tokens, in the full run, to fill the default result-cache budget. */
  fatTokens: quick ? 20_000 : 100_000,
  checkpoints: 5,
}
// me-jit spends a fresh sub per request; tokens-1m sends its tokens once each. Both draw on one cached pool.
const jitPoolSize = selected.includes('tokens-1m') ? plan.tokens1m + 50_000 : quick || args.profile ? 50_000 : 400_000
const VERIFY_TOKENS = 10_000
const UPSERT_IDS = 100_000

const log = (line: string) => process.stdout.write(`${line}\n`)
const elapsed = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(0)} s`

/** Cycles through a pool forever. */
function cycle(pool: TokenPool): () => string {
  let i = 0
  return () => pool.get(i++ % pool.size)
}

/** Walks a pool once; past its end it wraps and remembers that it did, so a result can be flagged. */
function sequence(pool: TokenPool, start = 0) {
  let i = start
  const state = {
    wrapped: false,
    get used() {
      return i
    },
    next: () => {
      if (i >= pool.size) state.wrapped = true
      return pool.get(i++ % pool.size)
    },
  }
  return state
}

interface BenchTarget {
  label: string
  server: ServerProcess
  jwksName?: string
  spec(duration: number): LoadSpec
  /** Replaces `measure(server, spec(duration))`, e.g. to spread the load over several servers. */
  run?(duration: number): Promise<Sample>
}

const meRequest = (next: () => string) => rotatingRequest('GET', '/me', () => ({ bearer: next() }))

async function alternate(jwks: JwksServer, targets: BenchTarget[]): Promise<Row[]> {
  const rows: Row[] = targets.map((t) => ({ server: t.label, samples: [], ratios: [], cpuRatios: [], jwksFetches: null }))
  for (let round = 0; round < plan.rounds; round++) {
    const line: string[] = []
    for (const [i, target] of targets.entries()) {
      const sample = await (target.run ? target.run(plan.duration) : measure(target.server, target.spec(plan.duration)))
      rows[i]!.samples.push(sample)
      line.push(`${target.label} ${fmt(sample.rps)}/s${sample.non2xx + sample.errors ? ` (${sample.non2xx} non-2xx, ${sample.errors} errors)` : ''}`)
    }
    const base = rows[0]!.samples[round]!
    for (const row of rows) {
      row.ratios.push(row.samples[round]!.rps / base.rps)
      row.cpuRatios.push(row.samples[round]!.cpuPerRequest / base.cpuPerRequest)
    }
    log(`  round ${round + 1}/${plan.rounds}: ${line.join(' · ')}`)
  }
  targets.forEach((t, i) => {
    rows[i]!.jwksFetches = t.jwksName ? jwks.fetches(t.jwksName) : null
  })
  return rows
}

async function expectStatus(server: ServerProcess, token: string, status: number, check?: (body: Record<string, unknown>) => boolean): Promise<void> {
  const res = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await res.json()) as Record<string, unknown>
  if (res.status !== status || (check && !check(body))) {
    throw new Error(`${server.name}: GET /me answered ${res.status} ${JSON.stringify(body).slice(0, 200)}, expected ${status}`)
  }
}

/** Every verifier must accept a pool token and refuse the same token with a corrupted signature. */
async function sanityCheck(server: ServerProcess, pool: TokenPool, subPrefix: string, gatehouse: boolean): Promise<void> {
  const token = pool.get(0)
  // Corrupt a character well inside the signature (the last one may only carry padding bits).
  const at = token.length - 20
  const forged = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
  await expectStatus(server, token, 200, gatehouse ? (b) => (b.user as { externalUserId?: string })?.externalUserId === subOf(subPrefix, 0) : undefined)
  await expectStatus(server, forged, 401)
}

/** One pass over the whole pool (plus a little), so every token's user exists and every cache is warm. */
async function provisionPass(server: ServerProcess, pool: TokenPool): Promise<void> {
  const sample = await measure(server, { amount: pool.size + 100, request: meRequest(cycle(pool)) })
  if (sample.non2xx + sample.errors) throw new Error(`${server.name}: warm-up pass had ${sample.non2xx} non-2xx and ${sample.errors} errors`)
}

async function warmUp(server: ServerProcess, request: LoadSpec['request']): Promise<void> {
  await measure(server, { duration: plan.warmUpSeconds, request })
}

/** A /me target that cycles the verify pool on its own cursor. */
function verifyTarget(ctx: Context, label: string, server: ServerProcess, jwksName?: string): BenchTarget {
  const next = cycle(ctx.verifyPool)
  return { label, server, jwksName, spec: (duration) => ({ duration, request: meRequest(next) }) }
}

interface Context {
  jwks: JwksServer
  hello: ServerProcess
  tmp: string
  keys: ReturnType<typeof loadKeys>
  verifyPool: TokenPool
  jitPool: TokenPool
  /** tokens-1m's fat tokens (sub prefix `f-`), each with FAT_CLAIM_GROUPS extra claims; null unless tokens-1m runs. */
  fatPool: TokenPool | null
  /** Where the jit pool's next unused token is (each scenario gets a fresh database, but stays honest anyway). */
  jitCursor: number
}

const gatehouseAt = (ctx: Context, name: string, verifyCacheMb?: number, databasePath?: string) =>
  startGatehouse({ name, databaseUrl: databasePath ?? join(ctx.tmp, `${name}.db`), verifyCacheMb, jwksUrl: ctx.jwks.urlFor(name) })

async function withServers<T>(servers: Promise<ServerProcess>[], fn: (started: ServerProcess[]) => Promise<T>): Promise<T> {
  const settled = await Promise.allSettled(servers)
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  try {
    const failed = settled.find((s) => s.status === 'rejected')
    if (failed) throw (failed as PromiseRejectedResult).reason
    return await fn(started)
  } finally {
    await Promise.all(started.map((s) => s.stop()))
  }
}

/** Heap, external and RSS as the server itself reports them (prom-client default metrics), for the RSS story. */
async function memoryLine(server: ServerProcess): Promise<string> {
  const text = await fetch(`${server.url}/metrics`).then((r) => r.text())
  const metric = (name: string) => Number(new RegExp(`^gatehouse_${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return `heap used ${fmt(mb(metric('nodejs_heap_size_used_bytes')))} MB of ${fmt(mb(metric('nodejs_heap_size_total_bytes')))} MB, external ${fmt(mb(metric('nodejs_external_memory_bytes')))} MB, RSS ${fmt(mb(server.rssBytes()))} MB`
}

async function meVerify(ctx: Context): Promise<Row[]> {
  const peer = async (name: string, file: string) =>
    spawnServer({
      name,
      args: ['--import', 'tsx', join('bench', 'servers', file)],
      port: await freePort(),
      env: { JWKS_URL: ctx.jwks.urlFor(name), ISSUER, AUDIENCE },
    })
  return withServers(
    [gatehouseAt(ctx, 'gatehouse-me-verify', 0), peer('express-jwt', 'express-jwt.ts'), peer('fastify-jose', 'fastify-jose.ts')],
    async ([gatehouse, express, jose]) => {
      for (const s of [gatehouse!, express!, jose!]) await sanityCheck(s, ctx.verifyPool, 'v-', s === gatehouse)
      await provisionPass(gatehouse!, ctx.verifyPool)
      for (const s of [ctx.hello, express!, jose!]) await warmUp(s, meRequest(cycle(ctx.verifyPool)))
      return alternate(ctx.jwks, [
        verifyTarget(ctx, 'hello (baseline)', ctx.hello),
        verifyTarget(ctx, 'gatehouse', gatehouse!, 'gatehouse-me-verify'),
        verifyTarget(ctx, 'express-jwt+jwks-rsa', express!, 'express-jwt'),
        verifyTarget(ctx, 'fastify+jose', jose!, 'fastify-jose'),
      ])
    },
  )
}

async function meCached(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-me-cached')], async ([gatehouse]) => {
    await sanityCheck(gatehouse!, ctx.verifyPool, 'v-', true)
    // Fills the result cache (default size 10,000 = the pool) and provisions every user.
    await provisionPass(gatehouse!, ctx.verifyPool)
    return alternate(ctx.jwks, [verifyTarget(ctx, 'hello (baseline)', ctx.hello), verifyTarget(ctx, 'gatehouse (cache on)', gatehouse!, 'gatehouse-me-cached')])
  })
}

async function meJit(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-me-jit')], async ([gatehouse]) => {
    const tokens = sequence(ctx.jitPool, ctx.jitCursor)
    const request = meRequest(tokens.next)
    await warmUp(gatehouse!, request)
    await warmUp(ctx.hello, meRequest(cycle(ctx.verifyPool)))
    const baselineTokens = cycle(ctx.jitPool)
    const rows = await alternate(ctx.jwks, [
      // The baseline's client builds the same kind of request, so client-side cost matches.
      { label: 'hello (baseline)', server: ctx.hello, spec: (duration) => ({ duration, request: meRequest(baselineTokens) }) },
      { label: 'gatehouse (JIT insert)', server: gatehouse!, jwksName: 'gatehouse-me-jit', spec: (duration) => ({ duration, request }) },
    ])
    if (tokens.wrapped) log(`  WARNING: the jit pool (${ctx.jitPool.size}) ran out: some requests reused a sub`)
    ctx.jitCursor = Math.min(tokens.used, ctx.jitPool.size)
    const created = await fetch(`${gatehouse!.url}/metrics`).then((r) => r.text())
    const jit = /^gatehouse_jit_provisions_total (\d+)/m.exec(created)?.[1]
    log(`  users created just in time: ${jit ?? '?'} (requests sent to gatehouse: ${rows[1]!.samples.reduce((n, s) => n + s.requests, 0)} + warm-up)`)
    return rows
  })
}

/** The i-th upsert: ids cycle, so the first pass creates users and later ones update them. */
function upsertBody(i: number): string {
  const ext = `api-${String(i % UPSERT_IDS).padStart(7, '0')}`
  return JSON.stringify({ externalUserId: ext, email: `${ext}@bench.example`, displayName: `User ${i}`, countryCode: 'gb' })
}

async function upsert(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-upsert')], async ([server]) => {
    const gatehouse = server as Gatehouse
    const request = (bearer: string) => {
      let i = 0
      return rotatingRequest('POST', '/integrations/users', () => ({ bearer, body: upsertBody(i++) }))
    }
    const gatehouseRequest = request(gatehouse.apiKey)
    await warmUp(gatehouse, gatehouseRequest)
    const helloRequest = request('not-checked')
    await warmUp(ctx.hello, helloRequest)
    return alternate(ctx.jwks, [
      { label: 'hello (baseline)', server: ctx.hello, spec: (duration) => ({ duration, request: helloRequest }) },
      { label: 'gatehouse upsert', server: gatehouse, jwksName: 'gatehouse-upsert', spec: (duration) => ({ duration, request: gatehouseRequest }) },
    ])
  })
}

async function scale(ctx: Context): Promise<Row[]> {
  const t0 = performance.now()
  const database = join(ctx.tmp, 'gatehouse-scale.db')
  const { built } = await seedScaleDatabase(database, ctx.keys.otherSpkiPem, ctx.jwks.urlFor('seeded'))
  log(`  ${built ? 'built and copied' : 'copied'} the seeded database (${SEED_PARTNERS} partners, ${SEED_USERS} users) in ${elapsed(t0)}`)
  return withServers([gatehouseAt(ctx, 'gatehouse-small', 0), gatehouseAt(ctx, 'gatehouse-scale', 0, database)], async ([small, big]) => {
    for (const s of [small!, big!]) {
      await sanityCheck(s, ctx.verifyPool, 'v-', true)
      await provisionPass(s, ctx.verifyPool)
    }
    await warmUp(ctx.hello, meRequest(cycle(ctx.verifyPool)))
    const rows = await alternate(ctx.jwks, [
      verifyTarget(ctx, 'hello (baseline)', ctx.hello),
      verifyTarget(ctx, 'gatehouse (empty db)', small!, 'gatehouse-small'),
      verifyTarget(ctx, `gatehouse (${SEED_USERS / 1e6}M users, ${SEED_PARTNERS / 1000}k partners)`, big!, 'gatehouse-scale'),
    ])
    log(`  empty db: ${await memoryLine(small!)}`)
    log(`  seeded db: ${await memoryLine(big!)}`)
    return rows
  })
}

/**
 * me-verify on PostgreSQL: one instance, then two instances on the same database with the load split
 * evenly between them (README "Running several instances"). Needs a reachable PostgreSQL.
 */
async function pgTwoInstances(ctx: Context): Promise<Row[]> {
  let schema: BenchSchema
  try {
    schema = await createBenchSchema()
  } catch (err) {
    log(`  skipped: PostgreSQL not reachable (${(err as Error).message}); set GATEHOUSE_BENCH_POSTGRES_URL`)
    return []
  }
  try {
    const name = 'gatehouse-pg'
    const first = await startGatehouse({ name, databaseUrl: schema.url, verifyCacheMb: 0, jwksUrl: ctx.jwks.urlFor(name) })
    return await withServers([Promise.resolve(first), startGatehouse({ name: 'gatehouse-pg-b', databaseUrl: schema.url, verifyCacheMb: 0, jwksUrl: ctx.jwks.urlFor(name), setup: false })], async ([a, b]) => {
      await sanityCheck(a!, ctx.verifyPool, 'v-', true)
      await provisionPass(a!, ctx.verifyPool)
      await sanityCheck(b!, ctx.verifyPool, 'v-', true)
      await warmUp(b!, meRequest(cycle(ctx.verifyPool)))
      await warmUp(ctx.hello, meRequest(cycle(ctx.verifyPool)))
      const nextA = cycle(ctx.verifyPool)
      const nextB = cycle(ctx.verifyPool)
      return alternate(ctx.jwks, [
        verifyTarget(ctx, 'hello (baseline)', ctx.hello),
        verifyTarget(ctx, 'gatehouse, 1 instance on PostgreSQL', a!, name),
        {
          label: 'gatehouse, 2 instances on one PostgreSQL',
          server: a!,
          jwksName: name,
          spec: (duration) => ({ duration, request: meRequest(nextA) }),
          run: (duration) =>
            measureSpread([a!, b!], [
              { duration, request: meRequest(nextA) },
              { duration, request: meRequest(nextB) },
            ]),
        },
      ])
    })
  } finally {
    await schema.drop()
  }
}

interface Checkpoint {
  sent: number
  rps: number
  rssMb: number
  peakMb: number
  non2xx: number
}

interface Tokens1m {
  plain: Checkpoint[]
  fat: Checkpoint[]
}

/** A fresh Gatehouse process on `databasePath` walks `pool` once: every token is sent once, each a result-cache miss. */
async function sendEachOnce(ctx: Context, name: string, databasePath: string, pool: TokenPool, count: number): Promise<Checkpoint[]> {
  const restarted = startGatehouse({ name, databaseUrl: databasePath, jwksUrl: ctx.jwks.urlFor(name), setup: false })
  return withServers([restarted], async ([gatehouse]) => {
    const tokens = sequence(pool)
    const request = meRequest(tokens.next)
    const per = count / plan.checkpoints
    const out: Checkpoint[] = []
    let sent = 0
    for (let c = 0; c < plan.checkpoints; c++) {
      const s: Sample = await measure(gatehouse!, { amount: per, request })
      sent += s.requests
      out.push({ sent, rps: s.rps, rssMb: mb(s.rssBytes), peakMb: mb(gatehouse!.peakRssBytes()), non2xx: s.non2xx + s.errors })
      log(`  ${sent} tokens sent: ${fmt(s.rps)}/s, RSS ${fmt(mb(s.rssBytes))} MB, peak ${fmt(mb(gatehouse!.peakRssBytes()))} MB`)
    }
    if (tokens.wrapped) log('  WARNING: the pool ran out: some tokens were sent twice')
    log(`  at the end: ${await memoryLine(gatehouse!)}`)
    return out
  })
}

async function tokens1m(ctx: Context): Promise<Tokens1m> {
  if (ctx.jitPool.size < plan.tokens1m + 1000) throw new Error(`tokens-1m needs a pool of at least ${plan.tokens1m + 1000} tokens`)
  if (!ctx.fatPool || ctx.fatPool.size < plan.fatTokens) throw new Error(`tokens-1m needs ${plan.fatTokens} fat tokens`)
  const fatBytes = ctx.fatPool.get(0).length
  if (fatBytes > MAX_TOKEN_BYTES) throw new Error(`a fat token is ${fatBytes} bytes, over Gatehouse's ${MAX_TOKEN_BYTES}`)
  // Set up through the admin API, then (server stopped) write every token's user straight into its database,
  // so this scenario measures verification and the caches, not JIT inserts (me-jit does those).
  const name = 'gatehouse-tokens-1m'
  const databasePath = join(ctx.tmp, `${name}.db`)
  await (await gatehouseAt(ctx, name, undefined, databasePath)).stop()
  const t0 = performance.now()
  seedUsers(databasePath, BENCH_PARTNER, (i) => subOf('j-', i), plan.tokens1m + 1000)
  seedUsers(databasePath, BENCH_PARTNER, (i) => subOf('f-', i), plan.fatTokens)
  log(`  wrote ${plan.tokens1m + 1000 + plan.fatTokens} users of ${BENCH_PARTNER} in ${elapsed(t0)}`)
  const plain = await sendEachOnce(ctx, name, databasePath, ctx.jitPool, plan.tokens1m)
  log(`  fat tokens (${fatBytes} bytes each, ${FAT_CLAIM_GROUPS} extra claim objects), on a fresh process:`)
  const fat = await sendEachOnce(ctx, name, databasePath, ctx.fatPool, plan.fatTokens)
  return { plain, fat }
}

const PROFILED = ['me-verify', 'me-cached', 'me-jit', 'upsert'] as const

/** `--profile [--only <one of PROFILED>]`: one Gatehouse under one scenario's load, with `node --cpu-prof`. */
async function profileScenario(ctx: Context, scenario: (typeof PROFILED)[number]): Promise<void> {
  const dir = join(CACHE_DIR, 'profiles', `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  mkdirSync(dir, { recursive: true })
  const options = {
    name: 'gatehouse-profile',
    databaseUrl: join(ctx.tmp, 'profile.db'),
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
  else if (scenario === 'upsert') {
    let i = 0
    request = rotatingRequest('POST', '/integrations/users', () => ({ bearer: setup.apiKey, body: upsertBody(i++) }))
  } else request = meRequest(cycle(ctx.verifyPool))
  const gatehouse = await startGatehouse({ ...options, cpuProfileDir: dir, setup: false })
  try {
    // me-cached: the restarted server's result cache is empty; this pass fills it.
    if (scenario === 'me-cached') await provisionPass(gatehouse, ctx.verifyPool)
    else await warmUp(gatehouse, request)
    const s = await measure(gatehouse, { duration: plan.duration, request })
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

function targetsFrom(results: Partial<Record<Scenario, Row[]>>, tokens: Tokens1m | undefined): Target[] {
  const row = (s: Scenario, prefix: string) => results[s]?.find((r) => r.server.startsWith(prefix))
  const targets: Target[] = []
  const verify = row('me-verify', 'gatehouse')
  const express = row('me-verify', 'express-jwt')
  if (verify && express) {
    const vs = summarize(verify)
    const overExpress = median(verify.samples.map((s, i) => s.rps / express.samples[i]!.rps))
    targets.push({ scenario: 'me-verify', target: '≥ 0.45× baseline', measured: `${fmt(vs.ratio, 2)}× (${fmt(vs.rps)} req/s)`, ok: vs.ratio >= 0.45 })
    targets.push({ scenario: 'me-verify', target: '≥ 4× express-jwt+jwks-rsa', measured: `${fmt(overExpress, 2)}×`, ok: overExpress >= 4 })
  } else {
    targets.push({ scenario: 'me-verify', target: '≥ 0.45× baseline, ≥ 4× express-jwt', measured: '–', ok: null })
  }
  const cached = row('me-cached', 'gatehouse')
  targets.push(cached ? { scenario: 'me-cached', target: '≥ 0.75× baseline', measured: `${fmt(summarize(cached).ratio, 2)}×`, ok: summarize(cached).ratio >= 0.75 } : { scenario: 'me-cached', target: '≥ 0.75× baseline', measured: '–', ok: null })
  const jit = row('me-jit', 'gatehouse')
  targets.push(jit ? { scenario: 'me-jit', target: '≥ 0.25× baseline', measured: `${fmt(summarize(jit).ratio, 2)}×`, ok: summarize(jit).ratio >= 0.25 } : { scenario: 'me-jit', target: '≥ 0.25× baseline', measured: '–', ok: null })
  const up = row('upsert', 'gatehouse')
  targets.push(up ? { scenario: 'upsert', target: '≥ 5,000 req/s', measured: `${fmt(summarize(up).rps)} req/s`, ok: summarize(up).rps >= 5000 } : { scenario: 'upsert', target: '≥ 5,000 req/s', measured: '–', ok: null })
  const small = row('scale', 'gatehouse (empty')
  const big = results.scale?.find((r) => r.server.includes('M users'))
  if (small && big) {
    const rel = median(big.samples.map((s, i) => s.rps / small.samples[i]!.rps))
    const rss = summarize(big).rssMb
    targets.push({ scenario: 'scale', target: 'within 15 % of me-verify', measured: `${fmt(rel * 100)} % of the empty-db gatehouse`, ok: rel >= 0.85 })
    targets.push({ scenario: 'scale', target: 'RSS ≤ 200 MB', measured: `${fmt(rss)} MB`, ok: rss <= 200 })
  } else {
    targets.push({ scenario: 'scale', target: 'within 15 % of me-verify, RSS ≤ 200 MB', measured: '–', ok: null })
  }
  if (tokens?.plain.length && tokens.fat.length) {
    const first = tokens.plain[0]!
    const last = tokens.plain[tokens.plain.length - 1]!
    // Bounded: after the caches fill (first checkpoint), RSS grows by less than a fifth over the rest of the tokens.
    const ok = last.rssMb <= first.rssMb * 1.2 && tokens.plain.every((c) => c.non2xx === 0)
    targets.push({ scenario: 'tokens-1m', target: `RSS bounded (≤ 1.2× RSS at ${first.sent})`, measured: `${fmt(first.rssMb)} → ${fmt(last.rssMb)} MB`, ok })
    // Fat tokens leave the same slim cache entries as plain ones: their extra claims are only transient garbage.
    const fatPeak = tokens.fat[tokens.fat.length - 1]!.peakMb
    const plainPeak = last.peakMb
    const fatOk = fatPeak <= plainPeak * 1.25 && tokens.fat.every((c) => c.non2xx === 0)
    targets.push({ scenario: 'tokens-1m (fat)', target: 'peak RSS ≤ 1.25× the plain run\'s', measured: `${fmt(fatPeak)} MB (plain ${fmt(plainPeak)} MB)`, ok: fatOk })
  } else {
    targets.push({ scenario: 'tokens-1m', target: 'RSS bounded; fat tokens no worse', measured: '–', ok: null })
  }
  return targets
}

async function main(): Promise<void> {
  const t0 = performance.now()
  log(`# Gatehouse benchmark (${quick ? 'quick' : 'full'}${only ? `, only ${only.join(',')}` : ''}${args.profile ? ', profile' : ''})`)
  log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? '?'}), node ${process.version}, ${plan.rounds} rounds × ${plan.duration} s, 50 connections, loopback`)
  const keys = loadKeys()
  let t = performance.now()
  const verifyPool = await loadPool(keys, 'verify', 'v-', VERIFY_TOKENS)
  const needJit = args.profile ? only?.[0] === 'me-jit' : selected.some((s) => s === 'me-jit' || s === 'tokens-1m')
  const progress = (done: number, total: number) => {
    if (done % 200_000 === 0 || done === total) log(`  tokens ready: ${done}/${total}`)
  }
  const jitPool = needJit ? await loadPool(keys, 'jit', 'j-', jitPoolSize, { onProgress: progress }) : verifyPool
  const fatPool = selected.includes('tokens-1m') && !args.profile
    ? await loadPool(keys, 'fat', 'f-', plan.fatTokens, { onProgress: progress, extraClaimGroups: FAT_CLAIM_GROUPS })
    : null
  log(`tokens ready in ${elapsed(t)} (minted ones are cached in bench/.cache for a day)`)
  const jwks = await startJwksServer(keys.jwks)
  const tmp = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
  const hello = await spawnServer({ name: 'hello', args: ['--import', 'tsx', join('bench', 'servers', 'hello.ts')], port: await freePort(), env: {} })
  const ctx: Context = { jwks, hello, tmp, keys, verifyPool, jitPool, fatPool, jitCursor: 0 }
  try {
    if (args.profile) {
      const scenario = (only?.[0] ?? 'me-verify') as (typeof PROFILED)[number]
      if (!PROFILED.includes(scenario)) throw new Error(`--profile supports ${PROFILED.join(', ')}`)
      await profileScenario(ctx, scenario)
      return
    }
    const results: Partial<Record<Scenario, Row[]>> = {}
    let tokens: Tokens1m | undefined
    const runners: Record<Exclude<Scenario, 'tokens-1m'>, (c: Context) => Promise<Row[]>> = {
      'me-verify': meVerify,
      'me-cached': meCached,
      'me-jit': meJit,
      upsert,
      scale,
      'pg-two-instances': pgTwoInstances,
    }
    const descriptions: Record<Scenario, string> = {
      'me-verify': `GET /me, ${VERIFY_TOKENS} distinct tokens cycled, users provisioned, VERIFY_CACHE_MB=0 (full verification)`,
      'me-cached': `GET /me, the same ${VERIFY_TOKENS} tokens, default VERIFY_CACHE_MB (result cache on)`,
      'me-jit': 'GET /me, a new sub on every request (JIT insert), default cache',
      upsert: `POST /integrations/users at concurrency 50, ${UPSERT_IDS} external ids cycled (create then update), default durable SQLite`,
      scale: `me-verify on a database seeded with ${SEED_USERS} users and ${SEED_PARTNERS} partners, against an empty-db gatehouse`,
      'pg-two-instances': 'me-verify on PostgreSQL: one instance, then two instances on one database sharing the load (full run only)',
      'tokens-1m': `${plan.tokens1m} distinct tokens (their users pre-written) sent once each, default cache; RSS after every ${plan.tokens1m / plan.checkpoints}; then ${plan.fatTokens} distinct fat tokens (~7 KiB of extra claims each) on a fresh process`,
    }
    for (const scenario of selected) {
      t = performance.now()
      log(`\n## ${scenario}: ${descriptions[scenario]}`)
      if (scenario === 'tokens-1m') {
        tokens = await tokens1m(ctx)
        for (const [label, checkpoints] of [['plain tokens', tokens.plain], ['fat tokens', tokens.fat]] as const) {
          log(
            `\n${label}\n${table(
              ['tokens sent', 'req/s', 'RSS MB', 'peak RSS MB', 'non-2xx+err'],
              checkpoints.map((c) => [String(c.sent), fmt(c.rps), fmt(c.rssMb), fmt(c.peakMb), String(c.non2xx)]),
            )}`,
          )
        }
      } else {
        results[scenario] = await runners[scenario](ctx)
        if (results[scenario]!.length) log(`\n${scenarioTable(results[scenario]!)}`)
      }
      log(`(${scenario} took ${elapsed(t)})`)
    }
    log(`\n## Summary against the performance targets (medians over ${plan.rounds} rounds; ratios within the same round)\n`)
    log(targetsTable(targetsFrom(results, tokens)))
    log(`\npartner ${BENCH_PARTNER}: iss ${ISSUER}, aud ${AUDIENCE}, RS256 2048-bit, JWKS with 2 keys looked up by kid`)
  } finally {
    await hello.stop()
    await jwks.close()
    rmSync(tmp, { recursive: true, force: true })
    log(`\ntotal ${elapsed(t0)}`)
  }
}

await main()
