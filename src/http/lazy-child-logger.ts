// Fastify's per-request child logger, made only when the request logs something the level lets through.
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify'

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>
type Bindings = Parameters<FastifyBaseLogger['child']>[0]
type ChildOptions = Parameters<FastifyBaseLogger['child']>[1]

/** pino's level values; `silent` lets nothing through. */
const RANK: Record<string, number> = { fatal: 60, error: 50, warn: 40, info: 30, debug: 20, trace: 10, silent: Infinity }
type Method = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'

const enabled = (logger: FastifyBaseLogger, method: string) => RANK[method]! >= (RANK[logger.level] ?? 0)

/**
 * Stands in for the child until a call would be written. A class, so a request that logs nothing allocates
 * one small object and no closures.
 */
class LazyChild {
  private made: FastifyBaseLogger | undefined
  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildOptions,
  ) {}

  private real(): FastifyBaseLogger {
    return (this.made ??= this.parent.child(this.bindings, this.options))
  }

  write(method: Method, args: unknown[]): void {
    if (this.made === undefined && !enabled(this.parent, method)) return
    ;(this.real()[method] as (...a: unknown[]) => void)(...args)
  }

  get level(): string {
    return this.made?.level ?? this.parent.level
  }
  set level(level: string) {
    this.real().level = level
  }
  silent(...args: unknown[]) {
    ;(this.real().silent as (...a: unknown[]) => void)(...args)
  }
  child(bindings: Bindings, options?: ChildOptions): FastifyBaseLogger {
    return this.real().child(bindings, options)
  }
}

// The six level methods, on the prototype (not per instance): each writes through `write` at its own level.
for (const method of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const) {
  Object.defineProperty(LazyChild.prototype, method, {
    value(this: LazyChild, ...args: unknown[]) {
      this.write(method, args)
    },
  })
}

/**
 * Fastify makes a pino child (binding the request id, and redaction with it) for every request; most requests
 * never log anything at the configured level (info logs each request, warn and above nothing on a success),
 * yet pay for the child. This one builds it on the first call that would be written, so a request that logs
 * nothing costs one small object. A route-level log level needs a real child at once, and gets one.
 */
export const lazyChildLoggerFactory: ChildLoggerFactory = function (logger, bindings, options) {
  if (options.level !== undefined) return logger.child(bindings, options)
  return new LazyChild(logger, bindings, options) as unknown as FastifyBaseLogger
}
