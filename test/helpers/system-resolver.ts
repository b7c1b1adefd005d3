// Runs a fetch that must use the resolver it was given: for as long as it runs, the system resolver throws with
// its own message, so code that ignored the injected resolver (a bug, or a Stryker mutant) fails the test instead
// of passing on an ordinary ENOTFOUND (test/helpers/loopback-dns.ts already keeps such names off the network).
import { createRequire, syncBuiltinESMExports } from 'node:module'

type Dns = { lookup: (...args: unknown[]) => unknown; promises: { lookup: (...args: unknown[]) => unknown } }

// Patched through node:dns's CommonJS object, not a module-mocking loader, so the guard also holds where no such
// loader runs (Stryker runs test files as `node --import tsx <file>`). Node's sockets read `dns.lookup` from that
// object at connect time; the ESM bindings of node:dns and node:dns/promises follow it after syncBuiltinESMExports.
const dns = createRequire(import.meta.url)('node:dns') as Dns

export async function withSystemResolverRefused<T>(run: () => Promise<T>): Promise<T> {
  const { lookup, promises } = dns
  const realPromisesLookup = promises.lookup
  const refuse = (hostname: unknown) => new Error(`the system resolver was asked for ${String(hostname)}`)
  dns.lookup = (hostname, ...rest) => {
    const callback = rest.at(-1) as (err: Error) => void
    process.nextTick(callback, refuse(hostname))
  }
  promises.lookup = async (hostname) => {
    throw refuse(hostname)
  }
  syncBuiltinESMExports()
  try {
    return await run()
  } finally {
    dns.lookup = lookup
    promises.lookup = realPromisesLookup
    syncBuiltinESMExports()
  }
}
