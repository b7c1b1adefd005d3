// The per-request child logger is made only when a request logs something its level lets through, and then
// behaves as Fastify's own: the request id bound, redaction applied, levels honoured.
import { Writable } from 'node:stream'
import Fastify from 'fastify'
import pino from 'pino'
import t, { type Test } from 'tap'
import { lazyChildLoggerFactory } from '../../src/http/lazy-child-logger.js'
import { REDACT_PATHS } from '../../src/http/logger-options.js'

function capture(level: string) {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    },
  })
  let children = 0
  const logger = pino({ level, redact: REDACT_PATHS, onChild: () => children++ }, stream)
  return { logger, lines, children: () => children, resetChildren: () => (children = 0) }
}

async function app(tt: Test, level: string) {
  const log = capture(level)
  const fastify = Fastify({ loggerInstance: log.logger, childLoggerFactory: lazyChildLoggerFactory })
  fastify.get('/quiet', async () => ({ ok: true }))
  fastify.get('/warns', async (request) => {
    request.log.info('an info line')
    request.log.warn({ detail: { token: 'secret-token' } }, 'a warning')
    return { ok: true }
  })
  tt.teardown(() => fastify.close())
  await fastify.ready()
  // Start-up may make children of its own (plugin contexts); only requests' are counted.
  log.resetChildren()
  return { fastify, ...log }
}

t.test('at warn, a request that logs nothing makes no child; one that warns gets a child with its request id', async (tt) => {
  const { fastify, lines, children } = await app(tt, 'warn')
  tt.equal((await fastify.inject({ url: '/quiet' })).statusCode, 200)
  tt.equal(children(), 0, 'no child logger for a quiet request')
  tt.same(lines, [])
  tt.equal((await fastify.inject({ url: '/warns' })).statusCode, 200)
  tt.equal(children(), 1)
  tt.equal(lines.length, 1, 'the info line is below the level')
  tt.match(lines[0], { level: 40, msg: 'a warning', reqId: String, detail: { token: '[Redacted]' } })
})

t.test('at info, every request logs (incoming, completed) under its request id, as with the default factory', async (tt) => {
  const { fastify, lines, children } = await app(tt, 'info')
  await fastify.inject({ url: '/quiet' })
  tt.equal(children(), 1)
  tt.same(
    lines.map((l) => l.msg),
    ['incoming request', 'request completed'],
  )
  tt.equal(lines[0]!.reqId, lines[1]!.reqId)
  tt.equal(fastify.log.level, 'info')
})

t.test('the lazy child reports the level, and a child of it is a real child', async (tt) => {
  const { logger, lines } = capture('warn')
  const lazy = lazyChildLoggerFactory.call(undefined as never, logger, { reqId: 'r-1' }, {}, undefined as never)
  tt.equal(lazy.level, 'warn')
  lazy.child({ extra: 1 }).error('from a grandchild')
  tt.match(lines, [{ level: 50, reqId: 'r-1', extra: 1, msg: 'from a grandchild' }])
  lazy.level = 'info'
  lazy.info('now info passes')
  tt.equal(lines.length, 2)
  tt.equal(logger.level, 'warn', "the parent's level is untouched")
})

t.test('a route log level makes a real child at once, with that level', async (tt) => {
  const { logger, children } = capture('warn')
  const child = lazyChildLoggerFactory.call(undefined as never, logger, { reqId: 'r-2' }, { level: 'debug' }, undefined as never)
  tt.equal(children(), 1)
  tt.equal(child.level, 'debug')
})
