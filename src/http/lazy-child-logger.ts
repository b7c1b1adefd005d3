// Fastify's per-request child logger, made only when the request logs something the level lets through.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>

/** pino's level values; `silent` lets nothing through. */
const RANK: Record<string, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity }
const METHODS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const

const enabled = (logger: FastifyBaseLogger, method: string) => RANK[method]! >= (RANK[logger.level] ?? 0)

/**
 * Fastify makes a pino child (binding the request id, and redaction with it) for every request; most requests
 * never log anything at the configured level (info logs each request, warn and above nothing on a success),
 * yet pay for the child. This one builds it on the first call that would be written, so a request that logs
 * nothing costs one small object. A route-level log level needs a real child at once, and gets one.
 */
export const lazyChildLoggerFactory: ChildLoggerFactory = function (logger, bindings, options) {
  if (options.level !== undefined) return logger.child(bindings, options)
  let child: FastifyBaseLogger | undefined
  const real = () => (child ??= logger.child(bindings, options))
  const lazy = {
    get level() {
      return child?.level ?? logger.level
    },
    set level(level: string) {
      real().level = level
    },
    silent: (...args: unknown[]) => (real().silent as (...a: unknown[]) => void)(...args),
    child: (childBindings: Record<string, unknown>, childOptions?: Record<string, unknown>) => real().child(childBindings, childOptions),
  } as Record<string, unknown>
  for (const method of METHODS) {
    lazy[method] = (...args: unknown[]) => {
      if (child === undefined && !enabled(logger, method)) return
      ;(real()[method] as (...a: unknown[]) => void)(...args)
    }
  }
  return lazy as unknown as FastifyBaseLogger
}
