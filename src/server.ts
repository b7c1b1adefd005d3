// Owns the process: configuration, store, listen, and a graceful close on SIGTERM/SIGINT.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { ConfigError, loadConfig } from './config.js'
import { bootstrapAdminToken } from './credentials/bootstrap-admin-token.js'
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
  const bootstrapToken = await bootstrapAdminToken(store, config.adminToken)
  if (bootstrapToken) {
    // Printed once, outside the log stream, so log shipping never carries it.
    process.stdout.write(
      `\nNo ADMIN_TOKEN is set and no admin token exists: created one. It is shown only now:\n\n  ${bootstrapToken}\n\n`,
    )
  }
  const app = await buildApp({ config, store })
  closeWithGrace({ delay: CLOSE_GRACE_MS }, async ({ signal, err }) => {
    if (err) app.log.error({ err }, 'shutting down after an error')
    else app.log.info({ signal }, 'shutting down')
    await app.close()
    await store.close()
  })
  await app.listen({ port: config.port, host: config.host })
}

main().catch((err: unknown) => {
  process.stderr.write(`Gatehouse failed to start: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exit(1)
})
