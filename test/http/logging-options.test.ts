// Which logger options the process gets: readable lines for a terminal, JSON lines otherwise, the same redaction in both.
import t from 'tap'
import { loggerOptions, REDACT_PATHS } from '../../src/http/logger-options.js'

t.test('a terminal gets pino-pretty lines; a pipe or file gets JSON lines; both redact the same secrets', async (tt) => {
  const terminal = loggerOptions('debug', { terminal: true })
  const pipe = loggerOptions('debug', { terminal: false })
  tt.same(terminal.transport, { target: 'pino-pretty' }, 'terminal: the pino-pretty transport')
  tt.equal(pipe.transport, undefined, 'pipe: no transport, so pino writes JSON lines')
  for (const [what, options] of [['terminal', terminal], ['pipe', pipe]] as const) {
    tt.equal(options.level, 'debug', `${what}: the configured level`)
    tt.same(options.redact, REDACT_PATHS, `${what}: the secret paths redacted`)
  }
  for (const path of ['req.headers.authorization', '*.token', '*.key', '*.jwtPublicKey']) tt.ok(REDACT_PATHS.includes(path), `${path} is redacted`)
})
