#!/usr/bin/env node
// The `gatehouse` CLI launcher: runs the TypeScript sources through tsx, so `npx gatehouse …` needs no build.
import { fileURLToPath, URL } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
await import('../src/cli/main.ts')
