import { folderConfig } from './stryker/folder-config.mjs'

// The top-level storage rules only; the SQLite and PostgreSQL adapters below them are not mutated.
export default folderConfig('storage', ['src/storage/*.ts'], [
  'test/storage/**/*.test.ts',
  'test/tokens/claim-rows.test.ts',
  'test/tokens/seed-shapes.test.ts',
  'test/http/strings-refused.test.ts',
])
