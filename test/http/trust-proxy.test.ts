// TRUST_PROXY decides whose address the failed-authentication limit counts: behind a trusted proxy, each client
// behind it on its own; with no proxy trusted, X-Forwarded-For is ignored so nobody can dodge their own limit.
import t from 'tap'
import { build } from '../helpers/build-app.js'
import { assertProblem } from '../helpers/problem.js'

const junk = { authorization: 'Bearer junk' }

t.test('behind a trusted proxy address, failures of client A do not block client B', async (tt) => {
  const { app } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: '127.0.0.1' } })
  // inject's socket address is 127.0.0.1: the proxy.
  const from = (client: string) => app.inject({ method: 'GET', url: '/admin/partners', headers: { ...junk, 'x-forwarded-for': client } })
  tt.equal((await from('203.0.113.1')).statusCode, 401)
  tt.equal((await from('203.0.113.1')).statusCode, 401)
  assertProblem(tt, await from('203.0.113.1'), 429, 'rate_limited', 'client A is blocked')
  tt.equal((await from('203.0.113.2')).statusCode, 401, 'client B, through the same proxy, is not')
})

t.test('a trusted CIDR list names the proxies; an address outside it is the client itself', async (tt) => {
  const { app } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '1', TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' } })
  const via = (remoteAddress: string, client: string) =>
    app.inject({ method: 'GET', url: '/me', remoteAddress, headers: { ...junk, 'x-forwarded-for': client } })
  tt.equal((await via('10.1.2.3', '203.0.113.1')).statusCode, 401)
  tt.equal((await via('10.9.9.9', '203.0.113.1')).statusCode, 429, 'the same client through another proxy of the block')
  tt.equal((await via('10.1.2.3', '203.0.113.2')).statusCode, 401, 'another client')
  tt.equal((await via('192.0.2.50', '203.0.113.3')).statusCode, 401)
  tt.equal((await via('192.0.2.50', '203.0.113.4')).statusCode, 429, 'an untrusted sender is counted by its own address, whatever it forwards')
})

t.test('with a hop count, a client cannot dodge its limit by sending its own X-Forwarded-For', async (tt) => {
  const { app } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '2', TRUST_PROXY: '1' } })
  // The proxy appends the address it saw; whatever the client wrote comes before it.
  const from = (spoofed: string) =>
    app.inject({ method: 'GET', url: '/integrations/users/x', headers: { ...junk, 'x-forwarded-for': `${spoofed}, 203.0.113.1` } })
  tt.equal((await from('198.51.100.1')).statusCode, 401)
  tt.equal((await from('198.51.100.2')).statusCode, 401)
  assertProblem(tt, await from('198.51.100.3'), 429, 'rate_limited', 'counted by the address the proxy saw')
})

t.test('with TRUST_PROXY off, X-Forwarded-For is ignored', async (tt) => {
  const { app } = await build(tt, { env: { AUTH_FAILURES_PER_MINUTE: '2' } })
  const from = (remoteAddress: string, forwarded: string) =>
    app.inject({ method: 'GET', url: '/admin/partners', remoteAddress, headers: { ...junk, 'x-forwarded-for': forwarded } })
  tt.equal((await from('192.0.2.10', '203.0.113.1')).statusCode, 401)
  tt.equal((await from('192.0.2.10', '203.0.113.2')).statusCode, 401)
  assertProblem(tt, await from('192.0.2.10', '203.0.113.3'), 429, 'rate_limited', 'a fresh X-Forwarded-For buys no fresh budget')
  tt.equal((await from('192.0.2.11', '203.0.113.1')).statusCode, 401, 'another socket address is another client')
})
