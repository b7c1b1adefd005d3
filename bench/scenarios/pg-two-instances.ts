// pg-two-instances: me-verify on PostgreSQL, one instance, then two instances on one database sharing the load.
import { startGatehouse } from '../gatehouse.js'
import { alternate, type Context, cycle, log, meRequest, provisionPass, sanityCheck, type Scenario, verifyTarget, warmUp, withServers } from '../harness.js'
import { measureSpread } from '../load.js'
import { type BenchSchema, createBenchSchema } from '../postgres.js'
import { type Row, scenarioTable } from '../report.js'

/**
 * me-verify on PostgreSQL: one instance, then two instances on the same database with the load split
 * evenly between them (README "Running several instances"). Needs a reachable PostgreSQL.
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
    return await withServers([Promise.resolve(first), startGatehouse({ name: 'gatehouse-pg-b', databaseUrl: schema.url, verifyCacheMb: 0, jwksUrl: ctx.jwks.urlFor(name), setup: false })], async ([a, b]) => {
      await sanityCheck(a!, ctx.verifyPool, 'v-', true)
      await provisionPass(a!, ctx.verifyPool)
      await sanityCheck(b!, ctx.verifyPool, 'v-', true)
      await warmUp(ctx, b!, meRequest(cycle(ctx.verifyPool)))
      await warmUp(ctx, ctx.hello, meRequest(cycle(ctx.verifyPool)))
      const nextA = cycle(ctx.verifyPool)
      const nextB = cycle(ctx.verifyPool)
      return alternate(ctx, [
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

export const pgTwoInstances: Scenario = {
  name: 'pg-two-instances',
  describe: () => 'me-verify on PostgreSQL: one instance, then two instances on one database sharing the load (full run only)',
  async run(ctx) {
    const rows = await run(ctx)
    // Skipped (no PostgreSQL): no table.
    return { report: rows.length ? scenarioTable(rows) : '', targets: [] }
  },
  targetsNotRun: [],
}
