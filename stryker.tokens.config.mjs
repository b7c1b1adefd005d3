import { folderConfig } from './stryker/folder-config.mjs'

export default folderConfig('tokens', ['src/tokens/**/*.ts'], [
  'test/tokens/**/*.test.ts',
  'test/http/edges-*.test.ts',
  'test/http/me-verification.test.ts',
  'test/http/me-claims-keys.test.ts',
  'test/http/me-jwks.test.ts',
  'test/http/token-checks.test.ts',
  'test/http/discovery-partner.test.ts',
])
