import { folderConfig } from './stryker/folder-config.mjs'

// src/tokens is the largest folder, so it also runs by file group: TOKENS_GROUP=core|jwks|verifier npx stryker run
// stryker.tokens.config.mjs (each group keeps its own incremental file and report); without it, the whole folder.
const GROUPS = {
  core: ['claim-checks', 'decode-token', 'import-rsa-public-key-pem', 'openid-discovery', 'profile-claims', 'revocation', 'rsa-key-limits', 'verify-signature'],
  jwks: ['jwks-fetch', 'jwks-key-set', 'jwks-keys', 'network-policy'],
  verifier: ['issuer-directory', 'jwks-cache', 'token-verifier', 'verify-partner-token'],
}

const group = process.env.TOKENS_GROUP
if (group !== undefined && !(group in GROUPS)) throw new Error(`TOKENS_GROUP must be one of ${Object.keys(GROUPS).join(', ')}`)

export default folderConfig(
  group ? `tokens-${group}` : 'tokens',
  group ? GROUPS[group].map((f) => `src/tokens/${f}.ts`) : ['src/tokens/**/*.ts'],
  // The token core's own tests only: the HTTP suites add little here and make every surviving mutant cost minutes
  // (the whole-set run, `npm run test:mutation`, still has them), so this score is a lower bound.
  ['test/tokens/**/*.test.ts'],
)
