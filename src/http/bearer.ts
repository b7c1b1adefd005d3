// Reads `Authorization: Bearer <credential>` (scheme case-insensitive), noticing repeated headers.
import type { FastifyRequest } from 'fastify'

export type BearerResult = { kind: 'ok'; credential: string } | { kind: 'missing' } | { kind: 'repeated' }

const BEARER = /^bearer +(\S+) *$/i

export function readBearer(request: FastifyRequest): BearerResult {
  // Node keeps only the first of repeated Authorization headers, so count them in the raw list.
  const raw = request.raw.rawHeaders
  let count = 0
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') count++
  if (count > 1) return { kind: 'repeated' }
  const header = request.headers.authorization
  const match = header === undefined ? null : BEARER.exec(header)
  return match ? { kind: 'ok', credential: match[1]! } : { kind: 'missing' }
}
