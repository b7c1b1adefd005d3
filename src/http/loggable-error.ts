// An error reduced to what may enter the logs: driver errors can quote the values of a failed query.

export interface LoggableError {
  type: string
  code?: string
  message: string
  stack?: string
  cause?: LoggableError
}

/** Causes are followed this deep: enough for drizzle → driver, bounded against cycles. */
const MAX_CAUSE_DEPTH = 3

// drizzle's query errors read "Failed query: <sql>\nparams: <values>"; the values may be a user's
// email, name or phone, so everything from "params:" on is cut.
function withoutParams(message: string): string {
  const at = message.search(/(^|\s)params:/)
  return (at === -1 ? message : message.slice(0, at)).trimEnd()
}

// A stack starts with "<name>: <message>", which would repeat what withoutParams cut: keep the frames only.
function framesOnly(stack: string): string {
  const at = stack.search(/\n\s+at /)
  return at === -1 ? '' : stack.slice(at + 1)
}

/**
 * Name, code, message (without any `params:` part) and stack frames of `err` and its causes —
 * never other own properties (a driver's `detail`, `params`, a parser's raw packet).
 */
export function loggableError(err: unknown, depth = 0): LoggableError {
  if (!(err instanceof Error)) return { type: typeof err, message: 'a non-Error value was thrown' }
  const code = (err as { code?: unknown }).code
  const safe: LoggableError = { type: err.name, message: withoutParams(err.message) }
  if (typeof code === 'string' || typeof code === 'number') safe.code = String(code)
  if (err.stack) safe.stack = framesOnly(err.stack)
  if (err.cause !== undefined && depth < MAX_CAUSE_DEPTH) safe.cause = loggableError(err.cause, depth + 1)
  return safe
}
