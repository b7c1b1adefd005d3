// scale: me-verify against a database of a million users and ten thousand partners, beside one on an empty database.
import { join } from 'node:path'
import { alternate, type Context, cycle, elapsed, gatehouseAt, log, meRequest, memoryLine, provisionPass, sanityCheck, type Scenario, verifyTarget, warmUp, withServers } from '../harness.js'
import { fmt, median, type Row, scenarioTable, summarize, type Target } from '../report.js'
import { SEED_PARTNERS, SEED_USERS, seedScaleDatabase } from '../seed.js'

async function run(ctx: Context): Promise<Row[]> {
  const t0 = performance.now()
  const database = join(ctx.tmp, 'gatehouse-scale.db')
  const { built } = await seedScaleDatabase(database, ctx.keys.otherSpkiPem, ctx.jwks.urlFor('seeded'))
  log(`  ${built ? 'built and copied' : 'copied'} the seeded database (${SEED_PARTNERS} partners, ${SEED_USERS} users) in ${elapsed(t0)}`)
  return withServers([gatehouseAt(ctx, 'gatehouse-small', 0), gatehouseAt(ctx, 'gatehouse-scale', 0, database)], async ([small, big]) => {
    for (const s of [small!, big!]) {
      await sanityCheck(s, ctx.verifyPool, 'v-', true)
      await provisionPass(s, ctx.verifyPool)
    }
    await warmUp(ctx, ctx.hello, meRequest(cycle(ctx.verifyPool)))
    const rows = await alternate(ctx, [
      verifyTarget(ctx, 'hello (baseline)', ctx.hello),
      verifyTarget(ctx, 'gatehouse (empty db)', small!, 'gatehouse-small'),
      verifyTarget(ctx, `gatehouse (${SEED_USERS / 1e6}M users, ${SEED_PARTNERS / 1000}k partners)`, big!, 'gatehouse-scale'),
    ])
    log(`  empty db: ${await memoryLine(small!)}`)
    log(`  seeded db: ${await memoryLine(big!)}`)
    return rows
  })
}

function targets(rows: Row[]): Target[] {
  const small = rows.find((r) => r.server.startsWith('gatehouse (empty'))
  const big = rows.find((r) => r.server.includes('M users'))
  if (!small || !big) return scale.targetsNotRun
  const rel = median(big.samples.map((s, i) => s.rps / small.samples[i]!.rps))
  const rss = summarize(big).rssMb
  return [
    { scenario: 'scale', target: 'within 15 % of me-verify', measured: `${fmt(rel * 100)} % of the empty-db gatehouse`, ok: rel >= 0.85 },
    { scenario: 'scale', target: 'RSS ≤ 160 MB', measured: `${fmt(rss)} MB`, ok: rss <= 160 },
  ]
}

export const scale: Scenario = {
  name: 'scale',
  describe: () => `me-verify on a database seeded with ${SEED_USERS} users and ${SEED_PARTNERS} partners, against an empty-db gatehouse`,
  async run(ctx) {
    const rows = await run(ctx)
    return { report: scenarioTable(rows, ctx.verifyMicros), targets: targets(rows) }
  },
  targetsNotRun: [{ scenario: 'scale', target: 'within 15 % of me-verify, RSS ≤ 160 MB', measured: '–', ok: null }],
}
