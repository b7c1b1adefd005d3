// The logger's options: JSON lines for log collectors, readable lines on a terminal, secrets redacted either way.

/** Never-logged request parts: bearer tokens, API keys, admin tokens, private keys. */
export const REDACT_PATHS = ['req.headers.authorization', 'req.headers.cookie', '*.token', '*.key', '*.jwtPublicKey']

export interface LoggerOptions {
  level: string
  redact: string[]
  /** pino-pretty in a worker thread; redaction happens before, on this thread, so it covers both forms. */
  transport?: { target: 'pino-pretty' }
}

/** JSON lines unless `terminal` (a person reading stdout), which gets pino-pretty's lines as fastify-cli does. */
export function loggerOptions(level: string, { terminal }: { terminal: boolean }): LoggerOptions {
  return terminal ? { level, redact: REDACT_PATHS, transport: { target: 'pino-pretty' } } : { level, redact: REDACT_PATHS }
}
