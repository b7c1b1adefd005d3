// Child server processes: spawn on a free loopback port, wait for /healthz, read their CPU time and RSS from /proc.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { freePort } from '../test/helpers/child-server.js'

export { freePort }

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

export interface ServerProcess {
  name: string
  url: string
  pid: number
  /** User + system CPU time of the process so far, in microseconds. */
  cpuMicros(): number
  /** Resident set size now, in bytes. */
  rssBytes(): number
  /** Peak resident set size, in bytes. */
  peakRssBytes(): number
  output(): string
  stop(): Promise<void>
}


function procStatus(pid: number, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : 0
}

function procCpuMicros(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 of the line.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK
}

const live = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL')
})

export interface SpawnOptions {
  name: string
  args: string[]
  env: Record<string, string>
  port: number
}

/** Runs `node <args>` from the repository root and waits until it answers GET /healthz. */
export async function spawnServer(options: SpawnOptions): Promise<ServerProcess> {
  // Never leak one run's Gatehouse settings into another child through the parent's environment.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(PORT|HOST|DATABASE_URL|ADMIN_TOKEN|VERIFY_CACHE_MB|LOG_LEVEL|JWKS_|NODE_OPTIONS)/.test(k)),
  )
  const child = spawn(process.execPath, options.args, {
    cwd: ROOT,
    env: { ...inherited, ...options.env, PORT: String(options.port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  live.add(child)
  let output = ''
  child.stdout!.on('data', (d) => {
    output += d
  })
  child.stderr!.on('data', (d) => {
    output += d
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  void exited.then(() => live.delete(child))
  const url = `http://127.0.0.1:${options.port}`
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${options.name} exited early:\n${output}`)
    try {
      if ((await fetch(`${url}/healthz`)).ok) break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${options.name} did not answer /healthz:\n${output}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  const pid = child.pid!
  return {
    name: options.name,
    url,
    pid,
    cpuMicros: () => procCpuMicros(pid),
    rssBytes: () => procStatus(pid, 'VmRSS'),
    peakRssBytes: () => procStatus(pid, 'VmHWM'),
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
}
