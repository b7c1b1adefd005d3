import { folderConfig } from './stryker/folder-config.mjs'

export default folderConfig('credentials', ['src/credentials/**/*.ts'], [
  'test/credentials/**/*.test.ts',
  'test/http/admin-partners.test.ts',
])
