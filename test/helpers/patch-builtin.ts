// Replaces one export of a Node builtin without a module-mocking loader, so it holds in every runner (Stryker runs
// test files as `node --import tsx <file>`, where t.mockImport replaces nothing): the property is set on the
// builtin's CommonJS object, and its ESM bindings follow after syncBuiltinESMExports.
import { createRequire, syncBuiltinESMExports } from 'node:module'

const require = createRequire(import.meta.url)

/** Sets `specifier`'s export `name` to `replace(real)`; the returned function puts the real one back. */
export function patchBuiltin<F>(specifier: string, name: string, replace: (real: F) => F): () => void {
  const builtin = require(specifier) as Record<string, F>
  const real = builtin[name]!
  builtin[name] = replace(real)
  syncBuiltinESMExports()
  return () => {
    builtin[name] = real
    syncBuiltinESMExports()
  }
}
