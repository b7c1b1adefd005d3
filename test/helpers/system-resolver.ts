// Runs a fetch that must use the resolver it was given: for as long as it runs, the system resolver throws with
// its own message, so code that ignored the injected resolver (a bug, or a Stryker mutant) fails the test instead
// of passing on an ordinary ENOTFOUND (test/helpers/loopback-dns.ts already keeps such names off the network).
import { patchBuiltin } from './patch-builtin.js'

type Lookup = (hostname: string, ...rest: unknown[]) => unknown

const refuse = (hostname: string) => new Error(`the system resolver was asked for ${hostname}`)

export async function withSystemResolverRefused<T>(run: () => Promise<T>): Promise<T> {
  // Node's sockets call node:dns's callback `lookup`; jwks-fetch imports node:dns/promises.
  const restores = [
    patchBuiltin<Lookup>('node:dns', 'lookup', () => (hostname, ...rest) => {
      process.nextTick(rest.at(-1) as (err: Error) => void, refuse(hostname))
    }),
    patchBuiltin<Lookup>('node:dns/promises', 'lookup', () => async (hostname) => {
      throw refuse(hostname)
    }),
  ]
  try {
    return await run()
  } finally {
    for (const restore of restores) restore()
  }
}
