// Configuration: SPEC §5 defaults, strict values, and one clear line naming a bad variable.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults match SPEC §5', async (tt) => {
  const c = loadConfig({})
  tt.equal(c.port, 3000)
  tt.equal(c.host, '127.0.0.1')
  tt.same(c.database, { kind: 'sqlite', path: './data/gatehouse.db' })
  tt.equal(c.adminToken, undefined)
  tt.equal(c.clockSkewSeconds, 60)
  tt.equal(c.jwksAllowPrivateNetwork, false)
  tt.equal(c.logLevel, 'info')
  tt.ok(Object.isFrozen(c))
})

t.test('values are parsed strictly', async (tt) => {
  tt.same(loadConfig({ DATABASE_URL: 'postgres://u@h/db' }).database, { kind: 'postgres', url: 'postgres://u@h/db' })
  tt.equal(loadConfig({ JWKS_ALLOW_PRIVATE_NETWORK: 'true' }).jwksAllowPrivateNetwork, true)
  tt.equal(loadConfig({ CLOCK_SKEW_SECONDS: '0' }).clockSkewSeconds, 0)
  for (const [name, value] of [
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['CLOCK_SKEW_SECONDS', '-1'],
    ['CLOCK_SKEW_SECONDS', '1.5'],
    ['JWKS_ALLOW_PRIVATE_NETWORK', 'yes'],
    ['LOG_LEVEL', 'loud'],
    ['ADMIN_TOKEN', 'short'],
  ] as const) {
    tt.throws(() => loadConfig({ [name]: value }), ConfigError, `${name}=${value} is refused`)
    try {
      loadConfig({ [name]: value })
    } catch (err) {
      tt.match((err as Error).message, new RegExp(`^Invalid configuration: ${name} `), 'the message names the variable')
      tt.notOk((err as Error).message.includes('\n'), 'one line')
    }
  }
})

t.test('bad configuration stops start-up with one line naming the variable', async (tt) => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, PORT: 'not-a-port', DATABASE_URL: ':memory:' },
    encoding: 'utf8',
    timeout: 30_000,
  })
  tt.equal(run.status, 1)
  tt.equal(run.stderr.trim().split('\n').length, 1)
  tt.match(run.stderr, /PORT/)
})
