// The steps of `npm start` as package.json states them, so the demo and the benchmark start Gatehouse with
// exactly the node arguments operators run (the heap flags change memory and CPU figures) without a copy
// that could drift.
import { readFileSync } from 'node:fs'

export interface NpmStartSteps {
  /** The node arguments of each step before the last (a build, say), in order. */
  before: string[][]
  /** The node arguments of the last step: the server itself. */
  server: string[]
}

export function npmStartSteps(): NpmStartSteps {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } }
  const steps = pkg.scripts.start.split('&&').map((step) => {
    const [command, ...args] = step.trim().split(/\s+/)
    if (command !== 'node') throw new Error(`npm start runs ${command}, expected node`)
    return args
  })
  return { before: steps.slice(0, -1), server: steps.at(-1)! }
}
