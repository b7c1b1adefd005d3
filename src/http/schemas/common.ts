// Schemas shared by every route: the problem+json error shape and the list envelope.
import { z } from 'zod'

export const ProblemSchema = z
  .object({
    type: z.string(),
    status: z.number().int(),
    title: z.string(),
    code: z.string().describe('The spec error code, stable for programs to switch on'),
    detail: z.string().describe('What is wrong, for a human'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', example: { type: 'about:blank', status: 404, title: 'Not found', code: 'not_found', detail: 'no partner acme' } })

/** Error responses a route can answer, documented with the problem shape. */
export function problems(...statuses: number[]): Record<number, typeof ProblemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, ProblemSchema]))
}

export const listOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item) })
