// The console's pages behind the session guard; every write goes through the admin API's use-cases.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { issueApiKey } from '../credentials/issue-api-key.js'
import { AppError } from '../errors.js'
import { AuditQuerySchema } from '../http/schemas/partner-schemas.js'
import { RefusalsQuerySchema } from '../http/schemas/refusal-schemas.js'
import {
  DEFAULT_AUDIT_LIMIT,
  listAudit,
  listPartnerApiKeys,
  partnerKeyView,
  readPartner,
  refreshPartnerKeys,
  revokePartnerApiKey,
  revokeUserSessions,
} from '../partners/partner-admin.js'
import type { PartnerRecord } from '../storage/types.js'
import { checkTokenAndUser } from '../users/check-token.js'
import { type Html, html } from './html.js'
import { csrfField, partnerPath, type PageProblem } from './layout.js'
import { fieldId, fieldOfPath, keyHealth, keysPage, partnerEdit, partnerForm, partnersList } from './pages/partner-pages.js'
import { apiKeysPage, auditPage, refusalsPage, tokenCheckPage, usersPage } from './pages/other-pages.js'
import { createDocument, type FormValues, formFromPartner, formValues, formVersion, patchDocument, validationProblem } from './partner-form.js'
import { csrfOf, problemOf, sendPage } from './render.js'
import { endSession, rotateConsoleSecret } from './session.js'

type Params = { id: string }
type KeyParams = { id: string; keyId: string }

/** Query values as strings (a repeated name keeps its last value), ready for the API's query schemas. */
function queryOf(query: unknown): Record<string, string> {
  const values = formValues(query)
  // An empty filter field means "no filter", as an absent query parameter does.
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''))
}

function parsedQuery<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } }, query: unknown): T {
  const result = schema.safeParse(queryOf(query))
  if (result.success) return result.data
  throw validationProblem(result.error.issues.map((i) => ({ path: `querystring/${i.path.map(String).join('/')}`, message: i.message })))
}

const fieldIds = (path: string) => {
  const field = fieldOfPath(path)
  return field ? fieldId(field) : undefined
}

/** The admin's view of a 412 on a write: someone else saved in between. */
function staleProblem(problem: PageProblem, partnerId: string): PageProblem {
  return { ...problem, detail: `This partner was changed by someone else — reload it (${partnerPath(partnerId)}) and make your change again. (${problem.detail})` }
}

export default async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const { store, partners, directory, verifyOptions } = app.services

  const partnerTitle = (partner: PartnerRecord, what: string) => `${what} · ${partner.name} (${partner.id})`

  function renderEdit(request: FastifyRequest, reply: FastifyReply, status: number, partner: PartnerRecord, values: FormValues, options: { problem?: PageProblem; warnings?: string[] } = {}) {
    const state = { values, errors: options.problem?.errors ?? [], warnings: options.warnings ?? [] }
    return sendPage(request, reply, status, {
      title: partnerTitle(partner, 'Partner'),
      body: partnerEdit(partner, state, csrfOf(reply)),
      problem: options.problem,
      fieldIds,
    })
  }

  /** A failed write shown on the page it came from; a 412 also says plainly what happened. */
  function failedWrite(err: unknown, request: FastifyRequest, partnerId: string) {
    if (!(err instanceof AppError)) throw err
    const { status, problem } = problemOf(err, request)
    return { status, problem: err.code === 'precondition_failed' ? staleProblem(problem, partnerId) : problem }
  }

  app.get('/', async (_request, reply) => reply.redirect('/console/partners', 303))

  app.get('/partners', async (request, reply) => {
    const rows = (await store.partners.list()).map((partner) => ({ partner, health: keyHealth(directory.keyView(partner.id)) }))
    const rotate = html`<section aria-labelledby="security-heading"><h2 id="security-heading">Console sessions</h2>
<form method="post" action="/console/rotate-secret" data-confirm="Sign every admin out of the console, on every instance?">${csrfField(csrfOf(reply))}<button type="submit">Rotate the session secret (signs every admin out)</button></form></section>`
    return sendPage(request, reply, 200, { title: 'Partners', body: html`${partnersList(rows)}${rotate}` })
  })

  const newPartnerValues: FormValues = { requireIssuedAt: 'on', profileUpdate: 'never', maxTokenLifetimeSeconds: '3600' }
  app.get('/partners/new', async (request, reply) =>
    sendPage(request, reply, 200, { title: 'New partner', body: partnerForm({ values: newPartnerValues, errors: [], warnings: [] }, 'create', csrfOf(reply)) }),
  )

  app.post('/partners', async (request, reply) => {
    const values = formValues(request.body)
    try {
      const result = await partners.create(createDocument(values), request.consoleActor)
      return renderEdit(request, reply, 201, result.partner, formFromPartner(result.partner), { warnings: result.warnings })
    } catch (err) {
      if (!(err instanceof AppError)) throw err
      const { status, problem } = problemOf(err, request)
      return sendPage(request, reply, status, {
        title: 'New partner',
        body: partnerForm({ values, errors: problem.errors ?? [], warnings: [] }, 'create', csrfOf(reply)),
        problem,
        fieldIds,
      })
    }
  })

  app.get<{ Params: Params }>('/partners/:id', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    return renderEdit(request, reply, 200, partner, formFromPartner(partner))
  })

  app.post<{ Params: Params }>('/partners/:id', async (request, reply) => {
    const current = await readPartner(store, request.params.id)
    const values = { ...formValues(request.body), id: current.id }
    try {
      const result = await partners.update(current.id, patchDocument(values, current), { expectedVersion: formVersion(values), actor: request.consoleActor })
      return renderEdit(request, reply, 200, result.partner, formFromPartner(result.partner), { warnings: result.warnings })
    } catch (err) {
      const { status, problem } = failedWrite(err, request, current.id)
      // The submitted values stay in the form, so nothing typed is lost; the record shown is the stored one.
      return renderEdit(request, reply, status, await readPartner(store, current.id), values, { problem })
    }
  })

  app.post<{ Params: Params }>('/partners/:id/status', async (request, reply) => {
    const current = await readPartner(store, request.params.id)
    const values = formValues(request.body)
    try {
      const status = values.status === 'active' ? 'active' : 'disabled'
      const result = await partners.update(current.id, { status }, { expectedVersion: formVersion(values), actor: request.consoleActor })
      return renderEdit(request, reply, 200, result.partner, formFromPartner(result.partner))
    } catch (err) {
      const { status, problem } = failedWrite(err, request, current.id)
      const fresh = await readPartner(store, current.id)
      return renderEdit(request, reply, status, fresh, formFromPartner(fresh), { problem })
    }
  })

  app.post<{ Params: Params }>('/partners/:id/delete', async (request, reply) => {
    const current = await readPartner(store, request.params.id)
    const values = formValues(request.body)
    try {
      if (values.confirm !== 'on') throw validationProblem([{ path: '/confirm', message: 'tick the box to confirm the delete' }])
      await partners.remove(current.id, { expectedVersion: formVersion(values), actor: request.consoleActor })
      return reply.redirect('/console/partners', 303)
    } catch (err) {
      const { status, problem } = failedWrite(err, request, current.id)
      return renderEdit(request, reply, status, current, formFromPartner(current), { problem })
    }
  })

  app.get<{ Params: Params }>('/partners/:id/keys', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const view = await partnerKeyView(store, directory, partner.id)
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'Keys'), body: keysPage(partner, view, csrfOf(reply)) })
  })

  app.post<{ Params: Params }>('/partners/:id/keys/refresh', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const view = await refreshPartnerKeys(store, directory, partner.id)
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'Keys'), body: keysPage(partner, view, csrfOf(reply)) })
  })

  app.get<{ Params: Params }>('/partners/:id/api-keys', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const keys = await listPartnerApiKeys(store, partner.id)
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'API keys'), body: apiKeysPage(partner, keys, csrfOf(reply)) })
  })

  app.post<{ Params: Params }>('/partners/:id/api-keys', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const issued = await issueApiKey(store, partner.id, request.consoleActor)
    const keys = await listPartnerApiKeys(store, partner.id)
    return sendPage(request, reply, 201, { title: partnerTitle(partner, 'API keys'), body: apiKeysPage(partner, keys, csrfOf(reply), issued) })
  })

  app.post<{ Params: KeyParams }>('/partners/:id/api-keys/:keyId/revoke', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    await revokePartnerApiKey(store, partner.id, request.params.keyId, request.consoleActor)
    return reply.redirect(partnerPath(partner.id, '/api-keys'), 303)
  })

  app.get<{ Params: Params }>('/partners/:id/token-check', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'Token check'), body: tokenCheckPage(partner, csrfOf(reply)) })
  })

  app.post<{ Params: Params }>('/partners/:id/token-check', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const token = (formValues(request.body).token ?? '').trim()
    if (token === '') throw validationProblem([{ path: '/token', message: 'paste a token' }])
    const report = await checkTokenAndUser(token, partner.id, { ...verifyOptions, users: store.users })
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'Token check'), body: tokenCheckPage(partner, csrfOf(reply), report) })
  })

  app.get<{ Params: Params }>('/partners/:id/refusals', async (request, reply) => {
    const partner = await readPartner(store, request.params.id)
    const { limit } = parsedQuery(RefusalsQuerySchema, request.query)
    const refusals = await store.refusals.list(partner.id, limit)
    return sendPage(request, reply, 200, { title: partnerTitle(partner, 'Refusals'), body: refusalsPage(partner, refusals) })
  })

  app.get('/audit', async (request, reply) => {
    const query = parsedQuery(AuditQuerySchema, request.query)
    const entries = await listAudit(store, query)
    const limit = query.limit ?? DEFAULT_AUDIT_LIMIT
    const body = auditPage(entries, { ...query, limit, pageSize: query.limit }, await store.partners.list())
    return sendPage(request, reply, 200, { title: 'Audit', body })
  })

  app.get('/users', async (request, reply) => {
    const query = queryOf(request.query)
    const all = await store.partners.list()
    let user
    if (query.partnerId && query.externalUserId) {
      await readPartner(store, query.partnerId)
      user = await store.users.get(query.partnerId, query.externalUserId)
    }
    return sendPage(request, reply, 200, { title: 'Users', body: usersPage(all, query, csrfOf(reply), user) })
  })

  app.post('/users/revoke-sessions', async (request, reply) => {
    const values = formValues(request.body)
    const user = await revokeUserSessions(store, values.partnerId ?? '', values.externalUserId ?? '', request.consoleActor)
    const body: Html = html`<p role="status" class="notice">Sessions revoked: tokens issued before ${user.tokensValidAfter ?? ''} are refused.</p>${usersPage(
      await store.partners.list(),
      { partnerId: user.partnerId, externalUserId: user.externalUserId },
      csrfOf(reply),
      user,
    )}`
    return sendPage(request, reply, 200, { title: 'Users', body })
  })

  app.post('/rotate-secret', async (request, reply) => {
    await rotateConsoleSecret(store)
    request.log.info({ actor: request.consoleActor }, 'console session secret rotated')
    endSession(request, reply)
    return reply.redirect('/console/sign-in', 303)
  })
}
