// me-cached: GET /me with the verification-result cache on, every user provisioned.
import { alternate, type Context, gatehouseAt, provisionPass, sanityCheck, type Scenario, verifyTarget, VERIFY_TOKENS, withServers } from '../harness.js'
import { fmt, type Row, scenarioTable, summarize, type Target } from '../report.js'

async function run(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-me-cached')], async ([gatehouse]) => {
    await sanityCheck(gatehouse!, ctx.verifyPool, 'v-', true)
    // Fills the result cache (default size 10,000 = the pool) and provisions every user.
    await provisionPass(gatehouse!, ctx.verifyPool)
    return alternate(ctx, [verifyTarget(ctx, 'hello (baseline)', ctx.hello), verifyTarget(ctx, 'gatehouse (cache on)', gatehouse!, 'gatehouse-me-cached')])
  })
}

const TARGET = "CPU per request ≤ 1.5× the baseline's"

function targets(rows: Row[]): Target[] {
  const cached = rows.find((r) => r.server.startsWith('gatehouse'))
  if (!cached) return meCached.targetsNotRun
  const { ratio, cpu, cpuRatio } = summarize(cached)
  return [{ scenario: 'me-cached', target: TARGET, measured: `${fmt(cpuRatio, 2)}× (${fmt(cpu)} µs; ${fmt(ratio, 2)}× baseline req/s)`, ok: cpuRatio <= 1.5 }]
}

export const meCached: Scenario = {
  name: 'me-cached',
  describe: () => `GET /me, the same ${VERIFY_TOKENS} tokens, default VERIFY_CACHE_MB (result cache on)`,
  async run(ctx) {
    const rows = await run(ctx)
    return { report: scenarioTable(rows), targets: targets(rows) }
  },
  targetsNotRun: [{ scenario: 'me-cached', target: TARGET, measured: '–', ok: null }],
}
