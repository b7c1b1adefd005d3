// The server's configuration, store and partner use-cases, opened for one CLI command.
import { type Config, loadConfig } from '../config.js'
import { createPartnerService, type PartnerService } from '../partners/partner-service.js'
import { openStore } from '../storage/index.js'
import type { Store } from '../storage/types.js'
import { createIssuerDirectory, type IssuerDirectory } from '../tokens/issuer-directory.js'
import { createJwksCache } from '../tokens/jwks-cache.js'
import { CliError } from './cli-error.js'
import { describeDatabase } from './format.js'

export interface CliServices {
  config: Config
  store: Store
  directory: IssuerDirectory
  /** The same use-cases as the admin API: writes are validated and audited identically. */
  partners: PartnerService
  close(): Promise<void>
}

export async function openCliServices(env: Record<string, string | undefined>): Promise<CliServices> {
  const config = loadConfig(env)
  let store: Store
  try {
    store = await openStore(config.database)
  } catch (err) {
    throw new CliError(`cannot open database ${describeDatabase(config.database)}: ${err instanceof Error ? err.message : String(err)}`)
  }
  const directory = createIssuerDirectory(store.partners, createJwksCache({ allowPrivateNetwork: config.jwksAllowPrivateNetwork }))
  return {
    config,
    store,
    directory,
    partners: createPartnerService({ store, directory, allowPrivateNetwork: config.jwksAllowPrivateNetwork }),
    close: () => store.close(),
  }
}
