// Tests that re-run themselves inside `unshare --net --mount`: a network namespace whose only interface is
// `lo`, so nothing the code under test does can send a packet off the machine.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import type { Test } from 'tap'

/** True in the copy of the test file running inside the namespace. */
export const INSIDE_NETNS = process.env.GATEHOUSE_NETNS_CHILD === '1'

/** Inside the namespace: the folder the outer run prepared (files to bind-mount, certificates). */
export const netnsDir = () => process.env.GATEHOUSE_NETNS_DIR!

type Tool = [command: string, args: string[], missing: string]

/** Why this host cannot build the namespace (or lacks one of `extra`), or null when it can. */
export function missingNetnsTool(extra: Tool[] = []): string | null {
  const tools: Tool[] = [
    ['unshare', ['--net', '--mount', 'true'], 'unshare --net --mount cannot run here (not installed, or neither root nor user namespaces)'],
    ['ip', ['-V'], 'the ip command (iproute2) is not installed'],
    ...extra,
  ]
  for (const [command, args, missing] of tools) if (spawnSync(command, args, { stdio: 'ignore' }).status !== 0) return missing
  return null
}

/**
 * Runs `testFile` again inside the namespace with `lo` up, after `setup` (shell commands run as root
 * there, with the prepared folder as "$1"), and with GATEHOUSE_NETNS_CHILD=1 and GATEHOUSE_NETNS_DIR set.
 */
export function runInNetns(tt: Test, testFile: string, dir: string, setup: string[], env: Record<string, string> = {}) {
  const script = ['set -e', 'ip link set lo up', ...setup, 'shift', 'exec "$@"'].join('; ')
  return tt.spawn(
    'unshare',
    ['--net', '--mount', 'sh', '-c', script, 'sh', dir, process.execPath, '--import', 'tsx', testFile],
    { env: { ...process.env, ...env, GATEHOUSE_NETNS_CHILD: '1', GATEHOUSE_NETNS_DIR: dir } },
    'inside unshare --net --mount',
  )
}

/** Inside the namespace: nothing runs unless `lo` is the only interface and no route (default or other) leads anywhere. */
export function bailOutUnlessIsolated(t: Test): void {
  const interfaces = Object.keys(networkInterfaces())
  const routes = readFileSync('/proc/net/route', 'utf8').trim().split('\n').slice(1)
  if (interfaces.join() !== 'lo' || routes.length !== 0) {
    t.bailout(`not an isolated network namespace: interfaces ${interfaces.join()}, ${routes.length} routes`)
  }
}
