#!/usr/bin/env node
// The `gatehouse` CLI launcher: runs the compiled CLI from dist/ (built by `npm ci`, `npm start` and `npm run build`).
import { existsSync } from 'node:fs'

const entry = new URL('../dist/cli/main.js', import.meta.url)
if (!existsSync(entry)) {
  process.stderr.write('gatehouse: dist/ is not built yet; run `npm run build` (or `npm ci`) in the Gatehouse checkout first.\n')
  process.exit(1)
}
await import(entry.href)
