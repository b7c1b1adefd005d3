// Builds the Gatehouse app as a Fastify instance that never listens (server.ts does), so tests inject into it.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod'
import type { Config } from './config.js'
import consolePlugin from './console/console-plugin.js'
import apiDocs from './http/plugins/api-docs.js'
import errorHandler, { clientErrorHandler, frameworkErrors } from './http/plugins/error-handler.js'
import strictQuery from './http/plugins/strict-query.js'
import { createAuthFailureLimiter } from './http/auth-failure-limiter.js'
import { BODY_LIMIT_BYTES } from './http/limits.js'
import { lazyChildLoggerFactory } from './http/lazy-child-logger.js'
import { loggableError } from './http/loggable-error.js'
import { loggerOptions } from './http/logger-options.js'
import { createMetrics } from './http/metrics.js'
import { createRefusalRecorder } from './http/refusal-recorder.js'
import adminRoutes from './http/routes/admin-routes.js'
import healthRoutes from './http/routes/health-routes.js'
import integrationRoutes from './http/routes/integration-routes.js'
import meRoutes from './http/routes/me-routes.js'
import type { Services } from './http/services.js'
import { createPartnerService } from './partners/partner-service.js'
import type { Store } from './storage/types.js'
import { createIssuerDirectory } from './tokens/issuer-directory.js'
import { createJwksCache } from './tokens/jwks-cache.js'
import { createTokenVerifier } from './tokens/token-verifier.js'

/** How often an instance looks for partner changes made elsewhere (they must hold within 5 s). */
export const PARTNER_POLL_MS = 1000

export interface BuildAppOptions {
  config: Config
  store: Store
  /** Milliseconds since the epoch; tests pass a fake clock. */
  now?: () => number
  logger?: FastifyServerOptions['logger']
}

/** Fastify's `trustProxy` for a configured value; a hop count trusts that many proxies nearest the socket. */
function fastifyTrustProxy(value: Config['trustProxy']): FastifyServerOptions['trustProxy'] {
  if (typeof value === 'number') return (_address: string, hop: number) => hop < value
  return typeof value === 'boolean' ? value : [...value]
}

export async function buildApp(options: BuildAppOptions): Promise<FastifyInstance> {
  const { config, store } = options
  const now = options.now ?? Date.now
  const app = Fastify({
    logger: options.logger ?? loggerOptions(config.logLevel, { terminal: false }),
    childLoggerFactory: lazyChildLoggerFactory,
    bodyLimit: BODY_LIMIT_BYTES,
    // A percent-encoded 255-character Unicode externalUserId can take 255 × 12 bytes.
    routerOptions: { maxParamLength: 4096 },
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Errors raised before routing, and by the HTTP parser, answer problem+json like every other.
    frameworkErrors,
    clientErrorHandler,
  })
  app.setValidatorCompiler(validatorCompiler)
  app.setSerializerCompiler(serializerCompiler)
  // PATCH bodies are JSON merge-patch documents (RFC 7396).
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'))

  const metrics = createMetrics()
  const jwksCache = createJwksCache({
    allowPrivateNetwork: config.jwksAllowPrivateNetwork,
    now,
    logger: app.log,
    events: {
      onFetch: ({ partnerId, outcome, durationMs }) => {
        // A fetch that lands after its partner was deleted must not bring the partner's series back.
        if (directory.byId(partnerId)) metrics.countJwksFetch(partnerId, outcome, durationMs / 1000)
      },
      onLookup: ({ hit }) => metrics.keyCacheLookups.inc({ result: hit ? 'hit' : 'miss' }),
    },
  })
  const directory = createIssuerDirectory(store.partners, {
    forPartner: (partnerId, jwksUrl) => jwksCache.forPartner(partnerId, jwksUrl),
    forget: (partnerId) => {
      jwksCache.forget(partnerId)
      metrics.forgetJwksPartner(partnerId)
    },
  })
  await directory.sync()
  directory.startPolling(PARTNER_POLL_MS, (err) => app.log.error({ error: loggableError(err) }, 'partner reload failed'))
  app.addHook('onClose', async () => directory.stop())

  const verifyOptions = { directory, skewSeconds: config.clockSkewSeconds, now }
  const services: Services = {
    config,
    store,
    directory,
    partners: createPartnerService({ store, directory, allowPrivateNetwork: config.jwksAllowPrivateNetwork }),
    verifier: createTokenVerifier({
      ...verifyOptions,
      cacheMaxBytes: config.verifyCacheBytes,
      onCacheLookup: metrics.countVerifyCacheLookup,
    }),
    verifyOptions,
    metrics,
    authFailures: createAuthFailureLimiter(config.rateLimits.authFailuresPerIp, now),
    refusals: createRefusalRecorder({
      store: store.refusals,
      now,
      onOutcome: (outcome) => metrics.refusalRecords.inc({ outcome }),
      onError: (err, partnerId) => app.log.warn({ partnerId, error: loggableError(err) }, 'refusal not recorded'),
    }),
    now,
  }
  app.decorate('services', services)
  // Refusal writes run in the background; the store must outlive them.
  app.addHook('onClose', async () => services.refusals.settled())

  // Requests still in flight when close begins answer with `Connection: close`, so their keep-alive
  // sockets end with them and close() does not wait for clients to hang up.
  let closing = false
  app.addHook('preClose', async () => {
    closing = true
  })
  // Callback-style hooks: every request runs them, and an async hook costs a promise each.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('connection', 'close')
    done(null, payload)
  })

  app.addHook('onResponse', (request, reply, done) => {
    metrics.countRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode)
    done()
  })

  await app.register(errorHandler)
  await app.register(strictQuery)
  await app.register(apiDocs)
  await app.register(healthRoutes)
  await app.register(adminRoutes)
  await app.register(integrationRoutes)
  await app.register(meRoutes)
  // Scoped to /console: its session, CSRF and strict CSP headers touch neither the JSON API nor /docs.
  await app.register(consolePlugin, { prefix: '/console' })
  return app
}
