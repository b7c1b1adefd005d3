// tokens-1m: a million distinct tokens sent once each, then distinct fat tokens: memory stays bounded.
import { join } from 'node:path'
import { MAX_TOKEN_BYTES } from '../../src/tokens/decode-token.js'
import { BENCH_PARTNER, startGatehouse } from '../gatehouse.js'
import { type Context, elapsed, gatehouseAt, log, memoryLine, meRequest, type Scenario, sequence, withServers } from '../harness.js'
import { measure, type Sample } from '../load.js'
import { fmt, mb, table, type Target } from '../report.js'
import { seedUsers } from '../seed.js'
import { FAT_CLAIM_GROUPS, subOf, type TokenPool } from '../tokens.js'

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
    const per = count / ctx.plan.checkpoints
    const out: Checkpoint[] = []
    let sent = 0
    for (let c = 0; c < ctx.plan.checkpoints; c++) {
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

async function run(ctx: Context): Promise<Tokens1m> {
  const { plan } = ctx
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

function report({ plain, fat }: Tokens1m): string {
  const checkpointTable = (checkpoints: Checkpoint[]) =>
    table(
      ['tokens sent', 'req/s', 'RSS MB', 'peak RSS MB', 'non-2xx+err'],
      checkpoints.map((c) => [String(c.sent), fmt(c.rps), fmt(c.rssMb), fmt(c.peakMb), String(c.non2xx)]),
    )
  return `plain tokens\n${checkpointTable(plain)}\n\nfat tokens\n${checkpointTable(fat)}`
}

function targets({ plain, fat }: Tokens1m): Target[] {
  if (!plain.length || !fat.length) return tokens1m.targetsNotRun
  const first = plain[0]!
  const last = plain[plain.length - 1]!
  // Bounded: after the caches fill (first checkpoint), RSS grows by less than a fifth over the rest of the tokens.
  const ok = last.rssMb <= first.rssMb * 1.2 && plain.every((c) => c.non2xx === 0)
  // Fat tokens leave the same slim cache entries as plain ones: their extra claims are only transient garbage.
  const fatPeak = fat[fat.length - 1]!.peakMb
  const plainPeak = last.peakMb
  const fatOk = fatPeak <= plainPeak * 1.25 && fat.every((c) => c.non2xx === 0)
  return [
    { scenario: 'tokens-1m', target: `RSS bounded (≤ 1.2× RSS at ${first.sent})`, measured: `${fmt(first.rssMb)} → ${fmt(last.rssMb)} MB`, ok },
    { scenario: 'tokens-1m (fat)', target: 'peak RSS ≤ 1.25× the plain run\'s', measured: `${fmt(fatPeak)} MB (plain ${fmt(plainPeak)} MB)`, ok: fatOk },
  ]
}

export const tokens1m: Scenario = {
  name: 'tokens-1m',
  describe: (plan) =>
    `${plan.tokens1m} distinct tokens (their users pre-written) sent once each, default cache; RSS after every ${plan.tokens1m / plan.checkpoints}; then ${plan.fatTokens} distinct fat tokens (~7 KiB of extra claims each) on a fresh process`,
  async run(ctx) {
    const result = await run(ctx)
    return { report: report(result), targets: targets(result) }
  },
  targetsNotRun: [{ scenario: 'tokens-1m', target: 'RSS bounded; fat tokens no worse', measured: '–', ok: null }],
}
