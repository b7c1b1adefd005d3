// The error registry and the README's error table stay in step.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ERRORS, TOKEN_ERROR_CODES } from '../src/errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

t.test('every error code is documented in the README table with its status', async (tt) => {
  for (const [code, { status }] of Object.entries(ERRORS)) {
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${code}\` |`))
    tt.ok(row, `${code} has a row`)
    tt.match(row ?? '', new RegExp(`\\| ${status}`), `${code} row names status ${status}`)
  }
})

t.test('token codes are the rows of SPEC §2 in order, all 401', async (tt) => {
  tt.same(TOKEN_ERROR_CODES, [
    'missing_token',
    'malformed_token',
    'unsupported_algorithm',
    'unknown_issuer',
    'partner_disabled',
    'unknown_key',
    'weak_key',
    'invalid_signature',
    'missing_claim',
    'token_expired',
    'token_not_yet_valid',
    'token_lifetime_too_long',
    'audience_mismatch',
  ])
  for (const code of TOKEN_ERROR_CODES) tt.equal(ERRORS[code].status, 401)
  tt.equal(ERRORS.jwks_unavailable.status, 503)
})
