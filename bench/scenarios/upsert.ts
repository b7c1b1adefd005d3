// upsert: POST /integrations/users at full concurrency, ids cycled so the first pass creates and later ones update.
import type { Gatehouse } from '../gatehouse.js'
import { alternate, type Context, gatehouseAt, type Scenario, warmUp, withServers } from '../harness.js'
import { rotatingRequest } from '../load.js'
import { fmt, type Row, scenarioTable, summarize, type Target } from '../report.js'

const UPSERT_IDS = 100_000

/** The i-th upsert: ids cycle, so the first pass creates users and later ones update them. */
function upsertBody(i: number): string {
  const ext = `api-${String(i % UPSERT_IDS).padStart(7, '0')}`
  return JSON.stringify({ externalUserId: ext, email: `${ext}@bench.example`, displayName: `User ${i}`, countryCode: 'gb' })
}

/** An endless stream of upserts, authenticated with `bearer`, each request the next body. */
export function upsertRequest(bearer: string) {
  let i = 0
  return rotatingRequest('POST', '/integrations/users', () => ({ bearer, body: upsertBody(i++) }))
}

async function run(ctx: Context): Promise<Row[]> {
  return withServers([gatehouseAt(ctx, 'gatehouse-upsert')], async ([server]) => {
    const gatehouse = server as Gatehouse
    const gatehouseRequest = upsertRequest(gatehouse.apiKey)
    await warmUp(ctx, gatehouse, gatehouseRequest)
    const helloRequest = upsertRequest('not-checked')
    await warmUp(ctx, ctx.hello, helloRequest)
    return alternate(ctx, [
      { label: 'hello (baseline)', server: ctx.hello, spec: (duration) => ({ duration, request: helloRequest }) },
      { label: 'gatehouse upsert', server: gatehouse, jwksName: 'gatehouse-upsert', spec: (duration) => ({ duration, request: gatehouseRequest }) },
    ])
  })
}

const TARGET = '≥ 5,000 req/s'

function targets(rows: Row[]): Target[] {
  const up = rows.find((r) => r.server.startsWith('gatehouse'))
  if (!up) return upsert.targetsNotRun
  const { rps } = summarize(up)
  return [{ scenario: 'upsert', target: TARGET, measured: `${fmt(rps)} req/s`, ok: rps >= 5000 }]
}

export const upsert: Scenario = {
  name: 'upsert',
  describe: () => `POST /integrations/users at concurrency 50, ${UPSERT_IDS} external ids cycled (create then update), default durable SQLite`,
  async run(ctx) {
    const rows = await run(ctx)
    return { report: scenarioTable(rows), targets: targets(rows) }
  },
  targetsNotRun: [{ scenario: 'upsert', target: TARGET, measured: '–', ok: null }],
}
