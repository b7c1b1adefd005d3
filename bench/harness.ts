// What every scenario shares: the run plan, the context, token cursors, alternating rounds and the sanity checks.
import { join } from 'node:path'
import { startGatehouse } from './gatehouse.js'
import type { JwksServer } from './jwks-server.js'
import { type LoadSpec, measure, rotatingRequest, type Sample } from './load.js'
import type { ServerProcess } from './processes.js'
import { fmt, mb, type Row, type Target } from './report.js'
import { type loadKeys, subOf, type TokenPool } from './tokens.js'

/** Distinct tokens in the verify pool, which me-verify, me-cached, scale and pg-two-instances cycle. */
export const VERIFY_TOKENS = 10_000

export interface Plan {
  rounds: number
  /** Seconds per server per round. */
  duration: number
  warmUpSeconds: number
  /** Plain tokens tokens-1m sends once each. */
  tokens1m: number
  /** tokens-1m's fat-token variant: enough distinct tokens, in the full run, to fill the default result-cache budget. */
  fatTokens: number
  /** Memory readings tokens-1m takes along the way. */
  checkpoints: number
}

export interface Context {
  plan: Plan
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
  /** CPU µs of one synchronous crypto.verify here, timed again before each scenario (bench/verify-cost.ts). */
  verifyMicros: number
  /** me-verify's median ratio to the baseline, once it has run: me-jit's target is relative to it. */
  meVerifyRatio?: number
}

/** What a scenario hands the runner: its tables, and its rows of the summary against the targets. */
export interface Outcome {
  report: string
  targets: Target[]
}

export interface Scenario {
  name: string
  describe(plan: Plan): string
  run(ctx: Context): Promise<Outcome>
  /** Its summary rows when it did not run (none for a scenario without targets). */
  targetsNotRun: Target[]
}

export const log = (line: string) => process.stdout.write(`${line}\n`)
export const elapsed = (t0: number) => `${((performance.now() - t0) / 1000).toFixed(0)} s`

/** Cycles through a pool forever. */
export function cycle(pool: TokenPool): () => string {
  let i = 0
  return () => pool.get(i++ % pool.size)
}

/** Walks a pool once; past its end it wraps and remembers that it did, so a result can be flagged. */
export function sequence(pool: TokenPool, start = 0) {
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

export interface BenchTarget {
  label: string
  server: ServerProcess
  jwksName?: string
  spec(duration: number): LoadSpec
  /** Replaces `measure(server, spec(duration))`, e.g. to spread the load over several servers. */
  run?(duration: number): Promise<Sample>
}

export const meRequest = (next: () => string) => rotatingRequest('GET', '/me', () => ({ bearer: next() }))

/** Measures the targets in alternating rounds (A B C A B C …); the first target is the baseline of the ratios. */
export async function alternate(ctx: Context, targets: BenchTarget[]): Promise<Row[]> {
  const { plan, jwks } = ctx
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
export async function sanityCheck(server: ServerProcess, pool: TokenPool, subPrefix: string, gatehouse: boolean): Promise<void> {
  const token = pool.get(0)
  // Corrupt a character well inside the signature (the last one may only carry padding bits).
  const at = token.length - 20
  const forged = token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1)
  await expectStatus(server, token, 200, gatehouse ? (b) => (b.user as { externalUserId?: string })?.externalUserId === subOf(subPrefix, 0) : undefined)
  await expectStatus(server, forged, 401)
}

/** One pass over the whole pool (plus a little), so every token's user exists and every cache is warm. */
export async function provisionPass(server: ServerProcess, pool: TokenPool): Promise<void> {
  const sample = await measure(server, { amount: pool.size + 100, request: meRequest(cycle(pool)) })
  if (sample.non2xx + sample.errors) throw new Error(`${server.name}: warm-up pass had ${sample.non2xx} non-2xx and ${sample.errors} errors`)
}

export async function warmUp(ctx: Context, server: ServerProcess, request: LoadSpec['request']): Promise<void> {
  await measure(server, { duration: ctx.plan.warmUpSeconds, request })
}

/** A /me target that cycles the verify pool on its own cursor. */
export function verifyTarget(ctx: Context, label: string, server: ServerProcess, jwksName?: string): BenchTarget {
  const next = cycle(ctx.verifyPool)
  return { label, server, jwksName, spec: (duration) => ({ duration, request: meRequest(next) }) }
}

/** A Gatehouse on its own SQLite file in the run's temporary folder (or on `databasePath`), keys from its own JWKS URL. */
export const gatehouseAt = (ctx: Context, name: string, verifyCacheMb?: number, databasePath?: string) =>
  startGatehouse({ name, databaseUrl: databasePath ?? join(ctx.tmp, `${name}.db`), verifyCacheMb, jwksUrl: ctx.jwks.urlFor(name) })

/** Runs `fn` once every server has started, and stops every started server afterwards, whatever happened. */
export async function withServers<T>(servers: Promise<ServerProcess>[], fn: (started: ServerProcess[]) => Promise<T>): Promise<T> {
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
export async function memoryLine(server: ServerProcess): Promise<string> {
  const text = await fetch(`${server.url}/metrics`).then((r) => r.text())
  const metric = (name: string) => Number(new RegExp(`^gatehouse_${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN)
  return `heap used ${fmt(mb(metric('nodejs_heap_size_used_bytes')))} MB of ${fmt(mb(metric('nodejs_heap_size_total_bytes')))} MB, external ${fmt(mb(metric('nodejs_external_memory_bytes')))} MB, RSS ${fmt(mb(server.rssBytes()))} MB`
}
