// Console sessions: an admin token is checked once at sign-in; the browser then holds a short-lived JWT naming
// the token's id (never the token) in an HttpOnly, SameSite=Strict cookie, signed with a secret every instance
// reads from the database. Each request re-reads both, so a revoked token or a rotated secret ends the session.
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { hashSecret } from '../credentials/secrets.js'
import type { Services } from '../http/services.js'
import type { Store } from '../storage/types.js'

export const SESSION_COOKIE = 'gatehouse_console'
/** Session lifetime: a console tab left open signs out within this time. */
export const SESSION_SECONDS = 30 * 60
export const CONSOLE_PATH = '/console'

/** A new signing secret: 256 random bits. */
export const newConsoleSecret = () => randomBytes(32).toString('base64url')

/** Replaces the stored signing secret: every console session, on every instance, ends at its next request. */
export async function rotateConsoleSecret(store: Pick<Store, 'consoleSecrets'>): Promise<void> {
  await store.consoleSecrets.replace(newConsoleSecret())
}

/** The actor the audit log will name for this admin token (`env` or `admin-token:<id>`), or null. */
export async function actorOfAdminToken(services: Pick<Services, 'config' | 'store'>, token: string): Promise<string | null> {
  if (token === '') return null
  const hash = hashSecret(token)
  const { adminToken } = services.config
  if (adminToken !== undefined && timingSafeEqual(Buffer.from(hashSecret(adminToken), 'hex'), Buffer.from(hash, 'hex'))) return 'env'
  const stored = await services.store.adminTokens.findActive(hash)
  return stored ? `admin-token:${stored.id}` : null
}

/** Whether the admin credential a session names still exists: ADMIN_TOKEN still configured, or the stored token unrevoked. */
export async function actorStillValid(services: Pick<Services, 'config' | 'store'>, actor: string): Promise<boolean> {
  if (actor === 'env') return services.config.adminToken !== undefined
  if (!actor.startsWith('admin-token:')) return false
  const id = actor.slice('admin-token:'.length)
  return (await services.store.adminTokens.list()).some((t) => t.id === id && t.revokedAt === null)
}

function cookieOptions(request: FastifyRequest) {
  // request.protocol honours TRUST_PROXY: https at the proxy means a Secure cookie.
  return { path: CONSOLE_PATH, httpOnly: true, sameSite: 'strict' as const, secure: request.protocol === 'https' }
}

export async function startSession(request: FastifyRequest, reply: FastifyReply, actor: string): Promise<void> {
  const token = await reply.jwtSign({ sub: actor }, { expiresIn: SESSION_SECONDS })
  reply.setCookie(SESSION_COOKIE, token, { ...cookieOptions(request), maxAge: SESSION_SECONDS })
}

export function endSession(request: FastifyRequest, reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, cookieOptions(request))
}

/** The actor of a valid session cookie whose admin token still exists, or null. */
export async function sessionActor(request: FastifyRequest, services: Pick<Services, 'config' | 'store'>): Promise<string | null> {
  if (!request.cookies[SESSION_COOKIE]) return null
  let payload: { sub?: unknown }
  try {
    payload = await request.jwtVerify<{ sub?: unknown }>({ onlyCookie: true })
  } catch {
    return null
  }
  if (typeof payload.sub !== 'string') return null
  return (await actorStillValid(services, payload.sub)) ? payload.sub : null
}
