// Owns the process: configuration, store, listen, and a graceful close on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { bootstrapAdminToken, bootstrapTokenFile, handOverBootstrapToken } from './credentials/bootstrap-admin-token.js'
import { loggableError } from './http/loggable-error.js'
import { loggerOptions } from './http/logger-options.js'
import { openStore } from './storage/index.js'

/** In-flight requests get this long to finish after a signal before the process exits anyway. */
const CLOSE_GRACE_MS = 10_000

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>
  try {
    config = loadConfig(process.env)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(1)
    }
    throw err
  }
  const store = await openStore(config.database)
  // A person watching a terminal gets readable lines; a pipe or file (a log collector) gets JSON lines.
  const app = await buildApp({ config, store, logger: loggerOptions(config.logLevel, { terminal: process.stdout.isTTY === true }) })
  const bootstrapToken = await bootstrapAdminToken(store, config.adminToken)
  if (bootstrapToken) {
    // stdout is also where the logs go, so it shows the token only to a terminal.
    handOverBootstrapToken(bootstrapToken, { terminal: process.stdout, file: bootstrapTokenFile(config.database), log: app.log })
  }
  closeWithGrace({ delay: CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ error: loggableError(err) }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    await store.close()
  })
  await app.listen({ port: config.port, host: config.host })
}

main().catch((err: unknown) => {
  process.stderr.write(`Gatehouse failed to start: ${loggableError(err).message}\n`)
  process.exit(1)
})
