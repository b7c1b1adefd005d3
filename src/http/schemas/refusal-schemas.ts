// Schemas of the refusals feed (partner API and admin API): recent refused /me tokens, never the tokens themselves.
import { z } from 'zod'

export const RefusalSchema = z
  .object({
    at: z.string(),
    code: z.string().describe('The refusal code /me answered'),
    detail: z.string(),
    kid: z.string().nullable().describe('Values as the token carried them; null where it did not, or could not be decoded'),
    sub: z.string().nullable().describe("The token's user id claim (the claimMapping.externalUserId claim for a mapped partner)"),
    iat: z.number().nullable(),
    exp: z.number().nullable(),
    aud: z.union([z.string(), z.array(z.string())]).nullable(),
  })
  .meta({
    id: 'Refusal',
    example: { at: '2026-01-01T00:00:00.000Z', code: 'token_expired', detail: 'expired 42 s ago (skew 60 s)', kid: 'k1', sub: 'user-42', iat: 1767225000, exp: 1767225558, aud: 'gatehouse' },
  })

export const RefusalsQuerySchema = z.strictObject({
  limit: z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .default(50),
})
