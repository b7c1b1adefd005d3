// Rebuilds dist/ with tsc when any file under src/ (or a build config) is newer than the last build, so
// `npm start` runs compiled JavaScript and still picks up source changes; a fresh build costs nothing.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync, utimesSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const stamp = join(root, 'dist', '.tsbuildinfo')

function newestMtime(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs // a deleted or renamed file shows as the directory's change
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

function builtAt() {
  try {
    return statSync(stamp).mtimeMs
  } catch {
    return -1
  }
}

const sources = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'].map((p) => newestMtime(join(root, p)))
if (Math.max(...sources) > builtAt()) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    stdio: 'inherit',
  })
  if (tsc.error?.code === 'ENOENT' || tsc.status !== 0) {
    process.stderr.write('Gatehouse: building dist/ failed (npm run build shows why; the TypeScript compiler is a dev dependency).\n')
    process.exit(1)
  }
  // tsc leaves its build info untouched when no output changed: mark this build as current anyway.
  const now = new Date()
  utimesSync(stamp, now, now)
}
