import { folderConfig } from './stryker/folder-config.mjs'

export default folderConfig('users', ['src/users/**/*.ts'], [
  'test/users/**/*.test.ts',
  'test/tokens/token-verifier.test.ts',
  'test/tokens/seed-shapes.test.ts',
  'test/tokens/jit-profile.test.ts',
  'test/http/me-*.test.ts',
  'test/http/integration-users.test.ts',
  'test/http/token-checks.test.ts',
])
