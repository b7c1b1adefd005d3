// pg-two-instances: me-verify on PostgreSQL, one instance, then two instances on one database sharing the load.
import { startGatehouse } from '../gatehouse.js'
import { alternate, type Context, cycle, gatehouseAt, log, meRequest, provisionPass, sanityCheck, type Scenario, verifyTarget, warmUp, withServers } from '../harness.js'
import { measureSpread } from '../load.js'
import { type BenchSchema, createBenchSchema } from '../postgres.js'
import { fmt, median, type Row, scenarioTable, type Target } from '../report.js'

const SQLITE = 'gatehouse, SQLite (same run)'
const ONE = 'gatehouse, 1 instance on PostgreSQL'

/**
 * me-verify on PostgreSQL: one instance, then two instances on the same database with the load split
 * evenly between them (README "Running several instances"), beside one on SQLite. Needs a reachable PostgreSQL.
 */
async function run(ctx: Context): Promise<Row[]> {
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
    const servers = [
      Promise.resolve(first),
      startGatehouse({ name: 'gatehouse-pg-b', databaseUrl: schema.url, verifyCacheMb: 0, jwksUrl: ctx.jwks.urlFor(name), setup: false }),
      gatehouseAt(ctx, 'gatehouse-pg-sqlite', 0),
    ]
    return await withServers(servers, async ([a, b, sqlite]) => {
      await sanityCheck(sqlite!, ctx.verifyPool, 'v-', true)
      await provisionPass(sqlite!, ctx.verifyPool)
      await sanityCheck(a!, ctx.verifyPool, 'v-', true)
      await provisionPass(a!, ctx.verifyPool)
      await sanityCheck(b!, ctx.verifyPool, 'v-', true)
      await warmUp(ctx, b!, meRequest(cycle(ctx.verifyPool)))
      await warmUp(ctx, ctx.hello, meRequest(cycle(ctx.verifyPool)))
      const nextA = cycle(ctx.verifyPool)
      const nextB = cycle(ctx.verifyPool)
      return alternate(ctx, [
        verifyTarget(ctx, 'hello (baseline)', ctx.hello),
        verifyTarget(ctx, SQLITE, sqlite!, 'gatehouse-pg-sqlite'),
        verifyTarget(ctx, ONE, a!, name),
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

const TARGET = "1 instance's CPU per request ≤ 1.2× SQLite's"

function targets(rows: Row[]): Target[] {
  const sqlite = rows.find((r) => r.server === SQLITE)
  const one = rows.find((r) => r.server === ONE)
  if (!sqlite || !one) return pgTwoInstances.targetsNotRun
  const rel = median(one.samples.map((s, i) => s.cpuPerRequest / sqlite.samples[i]!.cpuPerRequest))
  return [{ scenario: 'pg-two-instances', target: TARGET, measured: `${fmt(rel, 2)}×`, ok: rel <= 1.2 }]
}

export const pgTwoInstances: Scenario = {
  name: 'pg-two-instances',
  describe: () => 'me-verify on PostgreSQL: one instance, then two instances on one database sharing the load, beside SQLite (full run only)',
  async run(ctx) {
    const rows = await run(ctx)
    // Skipped (no PostgreSQL): no table.
    return { report: rows.length ? scenarioTable(rows, ctx.verifyMicros) : '', targets: rows.length ? targets(rows) : pgTwoInstances.targetsNotRun }
  },
  targetsNotRun: [{ scenario: 'pg-two-instances', target: TARGET, measured: '–', ok: null }],
}
