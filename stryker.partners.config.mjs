import { folderConfig } from './stryker/folder-config.mjs'

export default folderConfig('partners', ['src/partners/**/*.ts'], [
  'test/partners/**/*.test.ts',
  'test/http/admin-partners.test.ts',
  'test/http/admin-partner-fields.test.ts',
  'test/http/admin-partner-keys.test.ts',
  'test/http/discovery-partner.test.ts',
])
