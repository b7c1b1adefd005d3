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
