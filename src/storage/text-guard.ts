// Refuses, at the Store boundary, strings a database cannot hold exactly, so neither backend ever sees one.
import { AppError, type FieldError } from '../errors.js'
import { textFlaw } from './storable-text.js'
import type { Store } from './types.js'

/**
 * The first string in `value` (object keys included) that is not storable, located by a JSON pointer into
 * the method's argument list (`/1` the second argument, `/2/email` a field of the third).
 */
function firstFlaw(value: unknown, path: string): FieldError | null {
  if (typeof value === 'string') {
    const flaw = textFlaw(value)
    return flaw ? { path, message: flaw } : null
  }
  if (typeof value !== 'object' || value === null) return null
  // An argument list or an array: its indexes are no stored names. (The /me hot path checks two strings here.)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstFlaw(value[i], `${path}/${i}`)
      if (found) return found
    }
    return null
  }
  for (const [key, item] of Object.entries(value)) {
    const keyFlaw = textFlaw(key)
    if (keyFlaw) return { path: `${path}/${key}`, message: `name ${keyFlaw}` }
    const found = firstFlaw(item, `${path}/${key}`)
    if (found) return found
  }
  return null
}

/** Synchronous methods that answer from memory and never reach a database: nothing to guard. */
const MEMORY_ONLY = new Set(['peekCached'])

/** `target` with every method checking its arguments first; all store methods are async, so a refusal rejects. */
function guarded<T extends object>(target: T): T {
  const out: Record<string, unknown> = {}
  for (const [name, member] of Object.entries(target)) {
    if (typeof member !== 'function' || MEMORY_ONLY.has(name)) {
      out[name] = member
      continue
    }
    // Not an async wrapper: the member's own promise is handed on, with no extra turns of the microtask queue.
    out[name] = (...args: unknown[]) => {
      const flaw = firstFlaw(args, '')
      if (flaw) return Promise.reject(new AppError('invalid_request', `a value ${flaw.message}; strings must be well-formed Unicode without U+0000`, { errors: [flaw] }))
      return (member as (...a: unknown[]) => unknown).apply(target, args)
    }
  }
  return out as T
}

/**
 * The store with its record stores guarded. Without this, PostgreSQL answers a NUL with a driver error (whose
 * message carries the query's parameters, profile values included) and stores an unpaired surrogate as U+FFFD,
 * while SQLite stores both: the two backends would disagree, and neither would be right.
 */
export function refuseUnstorableText(store: Store): Store {
  return {
    ...store,
    partners: guarded(store.partners),
    apiKeys: guarded(store.apiKeys),
    adminTokens: guarded(store.adminTokens),
    users: guarded(store.users),
    audit: guarded(store.audit),
    refusals: guarded(store.refusals),
    consoleSecrets: guarded(store.consoleSecrets),
  }
}
