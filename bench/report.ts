// Medians over rounds, the per-scenario table, and the summary against the performance targets.
import type { Sample } from './load.js'
import { limitRatio } from './verify-cost.js'

export interface Row {
  server: string
  samples: Sample[]
  /** rps ÷ the baseline's rps of the same round, one per round. */
  ratios: number[]
  /** Server CPU per request ÷ the baseline's of the same round: the cost ratio, whoever the bottleneck was. */
  cpuRatios: number[]
  jwksFetches: number | null
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

const mb = (bytes: number) => bytes / (1024 * 1024)
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–')

export interface Summary {
  rps: number
  p50: number
  p99: number
  cpu: number
  rssMb: number
  ratio: number
  cpuRatio: number
  non2xx: number
}

export function summarize(row: Row): Summary {
  const pick = (f: (s: Sample) => number) => median(row.samples.map(f))
  return {
    rps: pick((s) => s.rps),
    p50: pick((s) => s.p50),
    p99: pick((s) => s.p99),
    cpu: pick((s) => s.cpuPerRequest),
    rssMb: mb(Math.max(...row.samples.map((s) => s.rssBytes))),
    ratio: median(row.ratios),
    cpuRatio: median(row.cpuRatios),
    non2xx: row.samples.reduce((n, s) => n + s.non2xx + s.errors, 0),
  }
}

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`
  return [line(headers), `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`, ...rows.map(line)].join('\n')
}

/**
 * Per round, the limit ratio a server doing one verification per request can reach (from that round's
 * baseline CPU, `rows[0]`) and the row's share of it (its ratio ÷ the limit); medians over the rounds.
 */
export function limitShare(rows: Row[], row: Row, verifyMicros: number): { limit: number; share: number } {
  const limits = rows[0]!.samples.map((s) => limitRatio(s.cpuPerRequest, verifyMicros))
  return { limit: median(limits), share: median(row.ratios.map((r, i) => r / limits[i]!)) }
}

/** The scenario's table; with `verifyMicros` (scenarios where each request needs a verification), the limit and share columns. */
export function scenarioTable(rows: Row[], verifyMicros?: number): string {
  const limitHeaders = verifyMicros === undefined ? [] : ['limit ×', 'share of limit']
  return table(
    ['server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'RSS MB', '× baseline', 'CPU × baseline', ...limitHeaders, 'JWKS fetches', 'non-2xx+err'],
    rows.map((row, i) => {
      const s = summarize(row)
      let limitCells: string[] = []
      if (verifyMicros !== undefined) {
        const { limit, share } = limitShare(rows, row, verifyMicros)
        limitCells = i === 0 ? [`${fmt(limit, 2)}×`, '–'] : [`${fmt(limit, 2)}×`, `${fmt(share * 100)} %`]
      }
      return [row.server, fmt(s.rps), fmt(s.p50, 1), fmt(s.p99, 1), fmt(s.cpu), fmt(s.rssMb), `${fmt(s.ratio, 2)}×`, `${fmt(s.cpuRatio, 1)}×`, ...limitCells, row.jwksFetches === null ? '–' : String(row.jwksFetches), String(s.non2xx)]
    }),
  )
}

export interface Target {
  scenario: string
  target: string
  measured: string
  ok: boolean | null
}

export function targetsTable(targets: Target[]): string {
  return table(
    ['scenario', 'target', 'measured (median)', 'result'],
    targets.map((t) => [t.scenario, t.target, t.measured, t.ok === null ? 'not run' : t.ok ? 'PASS' : 'MISS']),
  )
}

export { fmt, mb }
