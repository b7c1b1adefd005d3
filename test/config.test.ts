// Configuration: documented defaults, strict values, and one clear line naming a bad variable.
import { spawnSync } from 'node:child_process'
import t from 'tap'
import { ConfigError, loadConfig } from '../src/config.js'

t.test('defaults match the documented configuration', async (tt) => {
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

t.test('TRUST_PROXY: off by default; true, false, a hop count or a list of proxy addresses and CIDRs', async (tt) => {
  tt.equal(loadConfig({}).trustProxy, false)
  tt.equal(loadConfig({ TRUST_PROXY: 'true' }).trustProxy, true)
  tt.equal(loadConfig({ TRUST_PROXY: 'false' }).trustProxy, false)
  tt.equal(loadConfig({ TRUST_PROXY: '2' }).trustProxy, 2)
  tt.same(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy, ['127.0.0.1'])
  tt.same(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 192.168.1.7,fd00::/8,::1' }).trustProxy, ['10.0.0.0/8', '192.168.1.7', 'fd00::/8', '::1'])
  tt.ok(Object.isFrozen(loadConfig({ TRUST_PROXY: '127.0.0.1' }).trustProxy))
  for (const value of ['yes', '0', '101', '-1', '1.5', '10.0.0.0/33', 'fd00::/129', '10.0.0.1/8/8', 'proxy.internal', '10.0.0.1,', '999.1.1.1']) {
    try {
      loadConfig({ TRUST_PROXY: value })
      tt.fail(`TRUST_PROXY=${value} is accepted`)
    } catch (err) {
      tt.type(err, ConfigError, `TRUST_PROXY=${value} is refused`)
      tt.match((err as Error).message, /^Invalid configuration: TRUST_PROXY [^\n]+$/, `TRUST_PROXY=${value}: one line naming the variable`)
    }
  }
})

t.test('METRICS_TOKEN and VERIFY_CACHE_MB', async (tt) => {
  tt.equal(loadConfig({}).metricsToken, undefined)
  tt.equal(loadConfig({ METRICS_TOKEN: 'scrape-0123456789abcdef' }).metricsToken, 'scrape-0123456789abcdef')
  tt.equal(loadConfig({}).verifyCacheBytes, 32 * 1024 * 1024)
  tt.equal(loadConfig({ VERIFY_CACHE_MB: '0' }).verifyCacheBytes, 0)
})
