// me-jit: GET /me where every request carries a token for a new sub, so each one verifies and inserts a user.
import { alternate, type Context, cycle, gatehouseAt, log, meRequest, type Scenario, sequence, warmUp, withServers } from '../harness.js'
import { fmt, type Row, scenarioTable, summarize, type Target } from '../report.js'

async function run(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-me-jit')], async ([gatehouse]) => {
    const tokens = sequence(ctx.jitPool, ctx.jitCursor)
    const request = meRequest(tokens.next)
    await warmUp(ctx, gatehouse!, request)
    await warmUp(ctx, ctx.hello, meRequest(cycle(ctx.verifyPool)))
    const baselineTokens = cycle(ctx.jitPool)
    const rows = await alternate(ctx, [
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

const TARGET = "≥ 0.65× me-verify's throughput"

/** Both as ratios to the baseline of their own rounds, so the machine's drift between the scenarios cancels. */
function targets(ctx: Context, rows: Row[]): Target[] {
  const jit = rows.find((r) => r.server.startsWith('gatehouse'))
  if (!jit) return meJit.targetsNotRun
  const { ratio } = summarize(jit)
  if (ctx.meVerifyRatio === undefined) return [{ scenario: 'me-jit', target: TARGET, measured: `${fmt(ratio, 2)}× baseline (me-verify not run)`, ok: null }]
  const rel = ratio / ctx.meVerifyRatio
  return [{ scenario: 'me-jit', target: TARGET, measured: `${fmt(rel, 2)}× (${fmt(ratio, 2)}× against ${fmt(ctx.meVerifyRatio, 2)}× baseline)`, ok: rel >= 0.65 }]
}

export const meJit: Scenario = {
  name: 'me-jit',
  describe: () => 'GET /me, a new sub on every request (JIT insert), default cache',
  async run(ctx) {
    const rows = await run(ctx)
    return { report: scenarioTable(rows, ctx.verifyMicros), targets: targets(ctx, rows) }
  },
  targetsNotRun: [{ scenario: 'me-jit', target: TARGET, measured: '–', ok: null }],
}
