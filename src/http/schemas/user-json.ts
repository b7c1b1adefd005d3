// The JSON of a user, the body of the hottest responses (/me, user upserts and reads), written without zod.
import type { FastifyRouteSchemaDef } from 'fastify/types/schema.js'
import { serializerCompiler } from 'fastify-type-provider-zod'
import type { UserRecord } from '../../storage/types.js'
import { UserSchema } from './user-schemas.js'

const USER_FIELDS = Object.keys(UserSchema.shape) as (keyof UserRecord)[]

// Stores hand out a new record object whenever a user changes, so a record's JSON can be kept beside it.
const written = new WeakMap<UserRecord, string>()

/**
 * Exactly UserSchema's fields, in its order, so nothing else can leak: the bytes zod's serializer
 * writes, without a safeParse of every response. The type provider still checks handlers' results.
 */
export function userJson(user: UserRecord): string {
  let json = written.get(user)
  if (json === undefined) {
    const picked: Record<string, unknown> = {}
    for (const field of USER_FIELDS) picked[field] = user[field]
    json = JSON.stringify(picked)
    written.set(user, json)
  }
  return json
}

/** A route's serializer compiler: `fast` for the given success statuses, zod's serializer for the rest. */
export function fastSerializerCompiler(statuses: string[], fast: (data: never) => string) {
  return <T>(route: FastifyRouteSchemaDef<T>): ((data: unknown) => string) => {
    if (statuses.includes(String(route.httpStatus))) return fast as (data: unknown) => string
    return serializerCompiler(route as Parameters<typeof serializerCompiler>[0])
  }
}
