// Reads `If-Match` for optimistic concurrency: ETags are `"<version>"` (weak `W/` prefixes tolerated).
import type { FastifyRequest } from 'fastify'
import { AppError } from '../errors.js'

/** The version the client expects, undefined when it sent no If-Match (or `*`, which any record matches). */
export function expectedVersion(request: FastifyRequest): number | undefined {
  const header = request.headers['if-match']
  if (header === undefined || header.trim() === '*') return undefined
  const match = /^\s*(?:W\/)?"(\d{1,15})"\s*$/.exec(header)
  // An ETag we never issued can match no version.
  if (!match) throw new AppError('precondition_failed', 'If-Match names no version of this record; send the ETag you received')
  return Number(match[1])
}

export const etag = (version: number) => `"${version}"`
