// Loaded before every test file (tap's `node-arg` in package.json) and into every CLI process a test starts:
// the system resolver answers localhost and IP literals only. Any other name fails as unknown (ENOTFOUND) without a
// query, so a test that lets Gatehouse fetch a made-up host such as acme.example sends no DNS packet off loopback.
// Tests that need a name resolved inject their own resolver, or run in a network namespace (docs/testing.md).
import { isIP } from 'node:net'
import { patchBuiltin } from './patch-builtin.js'

type Lookup = (hostname: string, ...rest: unknown[]) => unknown

const answeredLocally = (hostname: string) => hostname === 'localhost' || isIP(hostname) !== 0

function notResolved(hostname: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname} (tests resolve localhost only)`), { code: 'ENOTFOUND', hostname })
}

// Never restored: the guard lasts as long as the process.
patchBuiltin<Lookup>('node:dns', 'lookup', (real) => (hostname, ...rest) => {
  if (answeredLocally(hostname)) return real(hostname, ...rest)
  process.nextTick(rest.at(-1) as (err: Error) => void, notResolved(hostname))
})
patchBuiltin<Lookup>('node:dns/promises', 'lookup', (real) => async (hostname, ...rest) => {
  if (answeredLocally(hostname)) return real(hostname, ...rest)
  throw notResolved(hostname)
})
