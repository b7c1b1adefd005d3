// The admin console at /console: server-rendered pages over the admin use-cases, behind a session cookie.
// Everything here is scoped to /console: its headers (helmet, a strict CSP), form bodies and CSRF checks
// touch neither the JSON API nor /docs.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import cookie from '@fastify/cookie'
import csrf from '@fastify/csrf-protection'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import jwt from '@fastify/jwt'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { AppError } from '../errors.js'
import { html } from './html.js'
import { signInPage } from './pages/other-pages.js'
import { formValues } from './partner-form.js'
import { csrfOf, problemOf, sendPage } from './render.js'
import consoleRoutes from './console-routes.js'
import { actorOfAdminToken, endSession, newConsoleSecret, SESSION_COOKIE, sessionActor, startSession } from './session.js'

/** CSS and JS live at the package root, so the same path serves them from src/ (dev) and dist/ (npm start). */
export const CONSOLE_ASSETS = join(dirname(fileURLToPath(import.meta.url)), '../../console-assets')

export default async function consolePlugin(app: FastifyInstance): Promise<void> {
  const services = app.services
  const { store, authFailures } = services
  // Insert if absent, then read: every instance signs with the one stored secret.
  await store.consoleSecrets.ensure(newConsoleSecret())

  // HTML pages, not the JSON API: left out of /openapi.json, as /docs is.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true }
  })
  await app.register(cookie)
  await app.register(formbody)
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    referrerPolicy: { policy: 'no-referrer' },
  })
  await app.register(jwt, {
    // Read per request, so a rotation on any instance ends every session everywhere at once.
    secret: async () => (await store.consoleSecrets.get()) ?? store.consoleSecrets.ensure(newConsoleSecret()),
    cookie: { cookieName: SESSION_COOKIE, signed: false },
    decoratorName: 'consoleSessionPayload',
    sign: { algorithm: 'HS256' },
    verify: { algorithms: ['HS256'] },
  })
  await app.register(csrf, {
    cookieKey: 'gatehouse_console_csrf',
    cookieOpts: { path: '/console', httpOnly: true, sameSite: 'strict', secure: 'auto' },
  })
  app.decorateRequest('consoleActor', '')
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST') app.csrfProtection(request, reply, done)
    else done()
  })

  app.setErrorHandler((err, request, reply) => {
    const { status, problem } = problemOf(err, request)
    if (status === 429 && err instanceof AppError && err.retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.ceil(err.retryAfterSeconds)))
    return sendPage(request, reply, status, { title: status === 404 ? 'Not found' : 'Something went wrong', body: html`<p><a href="/console/partners">Back to partners</a></p>`, problem })
  })
  app.setNotFoundHandler((request, reply) =>
    sendPage(request, reply, 404, { title: 'Not found', body: html`<p><a href="/console/partners">Back to partners</a></p>`, problem: { code: 'not_found', detail: `no page ${request.url.split('?')[0]}` } }),
  )

  await app.register(fastifyStatic, { root: CONSOLE_ASSETS, prefix: '/assets/', decorateReply: false, index: false, list: false })

  app.get('/sign-in', async (request, reply) => sendPage(request, reply, 200, { title: 'Sign in', body: signInPage(csrfOf(reply)) }))

  app.post('/sign-in', async (request, reply) => {
    const token = formValues(request.body).token ?? ''
    const actor = await actorOfAdminToken(services, token)
    if (!actor) {
      // The admin API's failed-authentication budget: a blocked address is told to wait.
      const wait = authFailures.blockedFor(request.ip)
      if (wait > 0) throw new AppError('rate_limited', 'too many failed authentications from this address', { retryAfterSeconds: wait })
      authFailures.recordFailure(request.ip)
      return sendPage(request, reply, 401, { title: 'Sign in', body: signInPage(csrfOf(reply)), problem: { code: 'unauthorized', detail: 'admin token is not valid' } })
    }
    await startSession(request, reply, actor)
    return reply.redirect('/console/partners', 303)
  })

  await app.register(async (guarded) => {
    guarded.addHook('onRequest', async (request, reply) => {
      const actor = await sessionActor(request, services)
      if (actor) {
        request.consoleActor = actor
        return
      }
      endSession(request, reply)
      if (request.method === 'GET') return reply.redirect('/console/sign-in', 303)
      throw new AppError('unauthorized', 'sign in again: the session has ended')
    })
    guarded.post('/sign-out', async (request, reply) => {
      endSession(request, reply)
      return reply.redirect('/console/sign-in', 303)
    })
    await guarded.register(consoleRoutes)
  })
}
