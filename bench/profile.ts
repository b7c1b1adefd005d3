// Summarises a V8 .cpuprofile (`node --cpu-prof`): self time by function and by area, inclusive time of hot frames.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { table } from './report.js'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const ROOT = fileURLToPath(new URL('..', import.meta.url))

function where(url: string): string {
  if (!url) return ''
  const path = url.replace(/^file:\/\//, '').replace(ROOT, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path)
  return pkg ? `${pkg[1]}/${pkg[2]!.split('/').pop()}` : path
}

/** The area a frame's time is charged to: a Gatehouse file, a package, a Node subsystem, or a V8 pseudo-frame. */
function area(node: ProfileNode): string {
  const { url, functionName } = node.callFrame
  if (!url) {
    if (functionName.startsWith('(')) return functionName
    return `native ${functionName || '(anonymous)'}`
  }
  const path = url.replace(/^file:\/\//, '').replace(ROOT, '')
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)
  if (pkg) return pkg[1]!
  if (path.startsWith('src/')) return path
  if (path.startsWith('node:')) return path.split('/').slice(0, 3).join('/')
  return path
}

export function summarizeProfile(file: string, top = 25): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  // Self time per node from the sample stream (timeDeltas[i] is the time before sample i).
  const self = new Map<number, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i + 1] ?? 0
    self.set(profile.samples[i]!, (self.get(profile.samples[i]!) ?? 0) + dt)
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0)
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, v]) => a + v, 0)
  const busy = total - idle
  const pct = (us: number) => `${((100 * us) / busy).toFixed(1)} %`

  const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`
  const selfByFrame = new Map<string, number>()
  const selfByArea = new Map<string, number>()
  for (const [id, us] of self) {
    const node = byId.get(id)!
    if (node.callFrame.functionName === '(idle)') continue
    selfByFrame.set(label(node), (selfByFrame.get(label(node)) ?? 0) + us)
    selfByArea.set(area(node), (selfByArea.get(area(node)) ?? 0) + us)
  }

  // Inclusive time per frame label, counting each label once per stack (recursion-safe).
  const inclusive = new Map<string, number>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const node = byId.get(cur)!
      if (!node.callFrame.url) continue
      const l = label(node)
      if (seen.has(l)) continue
      seen.add(l)
      inclusive.set(l, (inclusive.get(l) ?? 0) + us)
    }
  }

  const sorted = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  const interesting = (l: string) => / src\/| node:internal\/crypto| node:internal\/http| fastify| drizzle| better-sqlite3| prom-client| pino| zod| fastify-type-provider-zod| find-my-way| lru-cache/.test(` ${l}`)
  return [
    `busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s profiled (${((100 * idle) / total).toFixed(1)} % idle); shares below are of busy time`,
    '',
    '### Self time by area',
    table(['area', 'self', 'share'], sorted(selfByArea, top).map(([k, v]) => [k, `${(v / 1000).toFixed(0)} ms`, pct(v)])),
    '',
    '### Self time by function',
    table(['function', 'self', 'share'], sorted(selfByFrame, top).map(([k, v]) => [k, `${(v / 1000).toFixed(0)} ms`, pct(v)])),
    '',
    '### Inclusive time (Gatehouse code and libraries)',
    table(
      ['function', 'inclusive', 'share'],
      sorted(new Map([...inclusive].filter(([k]) => interesting(k))), top).map(([k, v]) => [k, `${(v / 1000).toFixed(0)} ms`, pct(v)]),
    ),
  ].join('\n')
}

// `node --import tsx bench/profile.ts <file.cpuprofile>` summarises an existing profile.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(`${summarizeProfile(process.argv[2]!)}\n`)
}
