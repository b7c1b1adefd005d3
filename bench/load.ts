// Drives one server with autocannon (in this process) and measures the server's own CPU and RSS around the run.
import autocannon, { type Options, type Request, type Result } from 'autocannon'
import type { ServerProcess } from './processes.js'

export const CONNECTIONS = 50

export interface Sample {
  requests: number
  seconds: number
  rps: number
  p50: number
  p99: number
  /** Server CPU (user + system) per completed request, in microseconds. */
  cpuPerRequest: number
  rssBytes: number
  non2xx: number
  errors: number
}

export interface LoadSpec {
  /** Run for this many seconds, or (when `amount` is set) until `amount` requests are answered. */
  duration?: number
  amount?: number
  /** Requests per second across all connections; absent means as fast as the server answers. */
  rate?: number
  request: Request
}

function runAutocannon(options: Options): Promise<Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
  })
}

export async function measure(server: ServerProcess, spec: LoadSpec): Promise<Sample> {
  const cpu0 = server.cpuMicros()
  const result = await runAutocannon({
    url: server.url,
    connections: CONNECTIONS,
    timeout: 30,
    ...(spec.amount === undefined ? { duration: spec.duration ?? 5 } : { amount: spec.amount }),
    ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
    requests: [spec.request],
  })
  const cpu = server.cpuMicros() - cpu0
  const requests = result.requests.total
  return {
    requests,
    seconds: result.duration,
    rps: requests / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuPerRequest: requests ? cpu / requests : 0,
    rssBytes: server.rssBytes(),
    non2xx: result.non2xx,
    errors: result.errors,
  }
}

/**
 * Load spread over several servers at once (a load balancer's view): the connections are split evenly,
 * requests and server CPU are summed, latency is the worst of the servers' percentiles.
 */
export async function measureSpread(servers: ServerProcess[], specs: LoadSpec[]): Promise<Sample> {
  const cpu0 = servers.map((s) => s.cpuMicros())
  const results = await Promise.all(
    servers.map((server, i) =>
      runAutocannon({
        url: server.url,
        connections: Math.ceil(CONNECTIONS / servers.length),
        timeout: 30,
        duration: specs[i]!.duration ?? 5,
        requests: [specs[i]!.request],
      }),
    ),
  )
  const cpu = servers.reduce((sum, s, i) => sum + s.cpuMicros() - cpu0[i]!, 0)
  const requests = results.reduce((sum, r) => sum + r.requests.total, 0)
  const seconds = Math.max(...results.map((r) => r.duration))
  return {
    requests,
    seconds,
    rps: requests / seconds,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    cpuPerRequest: requests ? cpu / requests : 0,
    rssBytes: Math.max(...servers.map((s) => s.rssBytes())),
    non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  }
}

/** A request rebuilt on every send: `next()` gives its bearer credential and, for a POST, its JSON body. */
export function rotatingRequest(method: string, path: string, next: () => { bearer: string; body?: string }): Request {
  return {
    method,
    path,
    setupRequest: (request) => {
      const { bearer, body } = next()
      const headers: Record<string, string> = { authorization: `Bearer ${bearer}` }
      if (body === undefined) return { ...request, headers }
      headers['content-type'] = 'application/json'
      return { ...request, headers, body }
    },
  }
}
