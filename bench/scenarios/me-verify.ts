// me-verify: GET /me with full verification (result cache off), Gatehouse beside express-jwt and fastify+jose,
// and beside two floors: the baseline plus nothing but the signature check (on the thread pool, and inline), which
// shows how much of the limit any verifying server reaches on this machine.
import { join } from 'node:path'
import { alternate, type Context, cycle, gatehouseAt, meRequest, provisionPass, sanityCheck, type Scenario, verifyTarget, VERIFY_TOKENS, warmUp, withServers } from '../harness.js'
import { freePort, spawnServer } from '../processes.js'
import { fmt, limitShare, median, type Row, scenarioTable, summarize, type Target } from '../report.js'
import { AUDIENCE, ISSUER } from '../tokens.js'

const FLOOR = 'floor: hello + verify'

async function run(ctx: Context): Promise<Row[]> {
  const peer = async (name: string, file: string, env: Record<string, string> = {}) =>
    spawnServer({
      name,
      args: ['--import', 'tsx', join('bench', 'servers', file)],
      port: await freePort(),
      env: { JWKS_URL: ctx.jwks.urlFor(name), ISSUER, AUDIENCE, ...env },
    })
  return withServers(
    [gatehouseAt(ctx, 'gatehouse-me-verify', 0), peer('express-jwt', 'express-jwt.ts'), peer('fastify-jose', 'fastify-jose.ts'), peer('floor', 'hello-verify.ts'), peer('floor-inline', 'hello-verify.ts', { VERIFY_INLINE: 'true' })],
    async ([gatehouse, express, jose, floor, floorInline]) => {
      for (const s of [gatehouse!, express!, jose!, floor!, floorInline!]) await sanityCheck(s, ctx.verifyPool, 'v-', s === gatehouse)
      await provisionPass(gatehouse!, ctx.verifyPool)
      for (const s of [ctx.hello, express!, jose!, floor!, floorInline!]) await warmUp(ctx, s, meRequest(cycle(ctx.verifyPool)))
      return alternate(ctx, [
        verifyTarget(ctx, 'hello (baseline)', ctx.hello),
        verifyTarget(ctx, 'gatehouse', gatehouse!, 'gatehouse-me-verify'),
        verifyTarget(ctx, 'express-jwt+jwks-rsa', express!, 'express-jwt'),
        verifyTarget(ctx, 'fastify+jose', jose!, 'fastify-jose'),
        verifyTarget(ctx, FLOOR, floor!, 'floor'),
        verifyTarget(ctx, 'floor, verify inline', floorInline!, 'floor-inline'),
      ])
    },
  )
}

function targets(ctx: Context, rows: Row[]): Target[] {
  const verify = rows.find((r) => r.server.startsWith('gatehouse'))
  const express = rows.find((r) => r.server.startsWith('express-jwt'))
  const jose = rows.find((r) => r.server.startsWith('fastify+jose'))
  const floor = rows.find((r) => r.server === FLOOR)
  if (!verify || !express || !jose || !floor) return meVerify.targetsNotRun
  const vs = summarize(verify)
  const { limit, share } = limitShare(rows, verify, ctx.verifyMicros)
  const over = (peer: Row, server = verify) => median(server.samples.map((s, i) => s.rps / peer.samples[i]!.rps))
  const overExpress = over(express)
  const overJose = over(jose)
  const floorShare = limitShare(rows, floor, ctx.verifyMicros).share
  return [
    {
      scenario: 'me-verify',
      target: '≥ 80 % of the limit',
      measured: `${fmt(share * 100)} % (${fmt(vs.ratio, 2)}× of a ${fmt(limit, 2)}× limit, ${fmt(vs.rps)} req/s); the floor ${fmt(floorShare * 100)} %`,
      ok: share >= 0.8,
    },
    { scenario: 'me-verify', target: '≥ 1.25× fastify+jose', measured: `${fmt(overJose, 2)}× (the floor ${fmt(over(jose, floor), 2)}×)`, ok: overJose >= 1.25 },
    { scenario: 'me-verify', target: '≥ 5× express-jwt+jwks-rsa', measured: `${fmt(overExpress, 2)}× (the floor ${fmt(over(express, floor), 2)}×)`, ok: overExpress >= 5 },
  ]
}

export const meVerify: Scenario = {
  name: 'me-verify',
  describe: () => `GET /me, ${VERIFY_TOKENS} distinct tokens cycled, users provisioned, VERIFY_CACHE_MB=0 (full verification)`,
  async run(ctx) {
    const rows = await run(ctx)
    const verify = rows.find((r) => r.server.startsWith('gatehouse'))
    if (verify) ctx.meVerifyRatio = summarize(verify).ratio
    return { report: scenarioTable(rows, ctx.verifyMicros), targets: targets(ctx, rows) }
  },
  targetsNotRun: [{ scenario: 'me-verify', target: '≥ 80 % of the limit, ≥ 1.25× fastify+jose, ≥ 5× express-jwt', measured: '–', ok: null }],
}
