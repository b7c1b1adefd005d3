// Discovery (docs/reference.md, JWKS fetching and caching): keys from the jwks_uri of the partner's OpenID configuration, under the JWKS fetch rules.
import type { IncomingMessage, ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import type { JwksView } from '../../src/tokens/jwks-cache.js'
import { JWKS_MAX_BYTES } from '../../src/tokens/jwks-fetch.js'
import { discoverJwks } from '../../src/tokens/openid-discovery.js'
import { verifyPartnerToken } from '../../src/tokens/verify-partner-token.js'
import { startJwksServer } from '../helpers/jwks-server.js'
import { makeKey } from '../helpers/keys.js'
import { mint } from '../helpers/mint.js'
import { partnerRecord, tokenCore } from '../helpers/token-core.js'

const ISSUER = 'https://login.partner.example/'
const k1 = makeKey('d1')
const k2 = makeKey('d2')

/** One loopback server publishing a discovery document and two JWKS paths; the test edits `doc` and the key sets. */
async function publisher(tt: Test) {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  const state = {
    doc: { issuer: ISSUER, jwks_uri: `${base}/jwks-a` } as Record<string, unknown>,
    jwks: { '/jwks-a': [k1.publicJwk], '/jwks-b': [k2.publicJwk] } as Record<string, object[]>,
    docReads: 0,
  }
  server.setHandler((req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/.well-known/openid-configuration') {
      state.docReads++
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify(state.doc))
    }
    const keys = state.jwks[req.url ?? '']
    res.writeHead(keys ? 200 : 404, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ keys: keys ?? [] }))
  })
  return { server, base, state, configUrl: `${base}/.well-known/openid-configuration` }
}

async function setup(tt: Test) {
  const pub = await publisher(tt)
  const record = partnerRecord({ id: 'oidc', jwtIssuer: ISSUER, openidConfigurationUrl: pub.configUrl })
  const core = await tokenCore([record])
  const token = (key = k1) => mint(key, { iss: ISSUER, sub: 'u1' }, { now: core.nowSec() })
  return { ...pub, record, core, token, view: () => core.directory.keyView('oidc') as JwksView }
}

t.test("a discovery partner's tokens verify with the keys of the document's jwks_uri, and the key view names both URLs", async (tt) => {
  const s = await setup(tt)
  tt.ok(await verifyPartnerToken(await s.token(), s.core.options))
  tt.match(s.view(), {
    source: 'jwks',
    openidConfigurationUrl: s.configUrl,
    jwksUrl: `${s.base}/jwks-a`,
    lastError: null,
    keys: [{ kid: 'd1', usable: true }],
  })
  tt.same(
    s.core.fetches.map((f) => [f.document, f.outcome]),
    [
      ['discovery', 'ok'],
      ['jwks', 'ok'],
    ],
    'each document fetch is counted',
  )
})

t.test("a document whose issuer is not the partner's jwtIssuer exactly supplies no key: jwks_unavailable, the reason in the key view", async (tt) => {
  const s = await setup(tt)
  s.state.doc = { ...s.state.doc, issuer: 'https://login.partner.example' }
  await tt.rejects(verifyPartnerToken(await s.token(), s.core.options), { code: 'jwks_unavailable' })
  tt.match(s.view(), {
    jwksUrl: null,
    lastError: `discovery document's issuer is "https://login.partner.example", expected the partner's jwtIssuer "${ISSUER}"`,
    keys: [],
  })
  tt.same(
    s.core.fetches.map((f) => [f.document, f.outcome]),
    [['discovery', 'invalid_discovery']],
    'the JWKS is never fetched',
  )
})

t.test('a jwks_uri that breaks the jwksUrl rules, or is missing, supplies no key', async (tt) => {
  const cases: [unknown, string][] = [
    [`http://user:secret@127.0.0.1:1/jwks`, "discovery document's jwks_uri must not carry a username or password"],
    ['ftp://127.0.0.1/jwks', "discovery document's jwks_uri must use https: or http:"],
    ['/relative/jwks', "discovery document's jwks_uri is not an absolute URL"],
    [undefined, "discovery document's jwks_uri is missing"],
    [42, "discovery document's jwks_uri is not a string"],
  ]
  for (const [jwksUri, reason] of cases) {
    const s = await setup(tt)
    s.state.doc = { issuer: ISSUER, jwks_uri: jwksUri }
    await tt.rejects(verifyPartnerToken(await s.token(), s.core.options), { code: 'jwks_unavailable' }, String(jwksUri))
    tt.equal(s.view().lastError, reason)
    tt.notMatch(s.view().lastError ?? '', /secret/, 'userinfo is never echoed')
  }
})

t.test('the document is re-read on every refresh, so a moved jwks_uri is followed', async (tt) => {
  const s = await setup(tt)
  tt.ok(await verifyPartnerToken(await s.token(k1), s.core.options))
  s.state.doc = { issuer: ISSUER, jwks_uri: `${s.base}/jwks-b` }
  await s.core.directory.refreshKeys('oidc')
  tt.equal(s.state.docReads, 2, 'read again with the refresh')
  tt.match(s.view(), { jwksUrl: `${s.base}/jwks-b`, keys: [{ kid: 'd2' }] })
  tt.ok(await verifyPartnerToken(await s.token(k2), s.core.options), 'the moved JWKS supplies the keys')
  await tt.rejects(verifyPartnerToken(await s.token(k1), s.core.options), { code: 'unknown_key' }, 'the old JWKS is gone with its keys')
})

t.test('a refresh whose document now fails keeps serving the keys already held (stale-if-error)', async (tt) => {
  const s = await setup(tt)
  tt.ok(await verifyPartnerToken(await s.token(), s.core.options))
  s.state.doc = { issuer: 'https://someone-else.example', jwks_uri: `${s.base}/jwks-b` }
  const view = await s.core.directory.refreshKeys('oidc')
  tt.match(view, { lastError: /issuer is "https:\/\/someone-else.example"/, keys: [{ kid: 'd1' }] })
  tt.ok(await verifyPartnerToken(await s.token(), s.core.options), 'the held keys still verify')
})

t.test("a changed jwtIssuer starts the partner's keys cold, so the document is judged against the new issuer", async (tt) => {
  const s = await setup(tt)
  tt.ok(await verifyPartnerToken(await s.token(), s.core.options))
  await s.core.setRecords([{ ...s.record, jwtIssuer: 'https://new-issuer.example', version: 2 }])
  const token = await mint(k1, { iss: 'https://new-issuer.example', sub: 'u1' }, { now: s.core.nowSec() })
  await tt.rejects(verifyPartnerToken(token, s.core.options), { code: 'jwks_unavailable' }, 'the document still names the old issuer')
  tt.match(s.view(), { lastError: /expected the partner's jwtIssuer "https:\/\/new-issuer.example"/ })
})

t.test('the discovery fetch has the JWKS limits: body size, redirects, deadline, JSON object', async (tt) => {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  const options = { allowPrivateNetwork: true }
  server.setHandler((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/jwks`, pad: 'x'.repeat(JWKS_MAX_BYTES) }))
    }
    const hop = /^\/hop\/(\d+)$/.exec(req.url ?? '')
    if (hop) {
      res.writeHead(302, { location: Number(hop[1]) === 0 ? '/doc' : `/hop/${Number(hop[1]) - 1}` })
      return res.end()
    }
    if (req.url === '/doc') {
      res.writeHead(200, { 'content-type': 'application/json' })
      return res.end(JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/jwks` }))
    }
    if (req.url === '/array') return res.end('[]')
    if (req.url === '/text') return res.end('<html>')
    // '/slow': never answers.
  })
  await tt.rejects(discoverJwks(`${base}/big`, ISSUER, options), { reason: 'too_large', message: `discovery document body exceeds ${JWKS_MAX_BYTES} bytes` })
  tt.same(await discoverJwks(`${base}/hop/2`, ISSUER, options), { jwksUrl: `${base}/jwks` }, 'three redirects are followed')
  await tt.rejects(discoverJwks(`${base}/hop/3`, ISSUER, options), { reason: 'too_many_redirects', message: 'more than 3 redirects' })
  await tt.rejects(discoverJwks(`${base}/slow`, ISSUER, { ...options, timeoutMs: 200 }), { reason: 'timeout', message: 'timed out after 200 ms' })
  await tt.rejects(discoverJwks(`${base}/array`, ISSUER, options), { reason: 'invalid_discovery', message: 'discovery document is not a JSON object' })
  await tt.rejects(discoverJwks(`${base}/text`, ISSUER, options), { reason: 'invalid_json', message: 'discovery document body is not JSON' })
  await tt.rejects(discoverJwks(`${base}/missing-doc`, ISSUER, { allowPrivateNetwork: false }), {
    reason: 'bad_url',
    message: /^discovery document URL must use https:/,
  })
})

t.test('discoverJwks judges the document itself: an object, the exact issuer, a jwks_uri string under the jwksUrl rules', async (tt) => {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  const bodies = new Map<string, string>()
  server.setHandler((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(bodies.get(req.url ?? '') ?? '{}')
  })
  let n = 0
  /** What discoverJwks makes of a document with this JSON body, fetched from the loopback server. */
  const discover = (body: string, issuer = ISSUER) => {
    const path = `/doc-${n++}`
    bodies.set(path, body)
    return discoverJwks(`${base}${path}`, issuer, { allowPrivateNetwork: true })
  }
  const doc = (fields: Record<string, unknown>) => JSON.stringify({ issuer: ISSUER, jwks_uri: `${base}/jwks`, ...fields })

  tt.same(await discover(doc({})), { jwksUrl: `${base}/jwks` })
  for (const body of ['null', '"doc"', '[]', `[${doc({})}]`, '7', 'true']) {
    await tt.rejects(discover(body), { reason: 'invalid_discovery', message: 'discovery document is not a JSON object' }, body.slice(0, 20))
  }
  const expected = `expected the partner's jwtIssuer "${ISSUER}"`
  await tt.rejects(discover(doc({ issuer: undefined })), { reason: 'invalid_discovery', message: `discovery document's issuer is missing, ${expected}` })
  await tt.rejects(discover(doc({ issuer: null })), { reason: 'invalid_discovery', message: `discovery document's issuer is null, ${expected}` })
  await tt.rejects(discover(doc({ issuer: 42 })), { reason: 'invalid_discovery', message: `discovery document's issuer is 42, ${expected}` })
  await tt.rejects(discover(doc({ issuer: [ISSUER] })), { reason: 'invalid_discovery', message: `discovery document's issuer is ["${ISSUER}"], ${expected}` })
  await tt.rejects(discover(doc({ issuer: ISSUER.toUpperCase() })), { reason: 'invalid_discovery', message: /^discovery document's issuer is "HTTPS:/ }, 'compared exactly')

  await tt.rejects(discover(doc({ jwks_uri: undefined })), { reason: 'invalid_discovery', message: "discovery document's jwks_uri is missing" })
  await tt.rejects(discover(doc({ jwks_uri: null })), { reason: 'invalid_discovery', message: "discovery document's jwks_uri is not a string" })
  await tt.rejects(discover(doc({ jwks_uri: 'ftp://127.0.0.1/jwks' })), { reason: 'bad_url', message: "discovery document's jwks_uri must use https: or http:" })
})

t.test('a document value is shown up to 120 characters of JSON, a longer one cut to 117 and three dots', async (tt) => {
  const server = await startJwksServer(tt)
  const base = `http://127.0.0.1:${server.port}`
  let body = ''
  server.setHandler((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(body)
  })
  const message = async (docIssuer: string, issuer: string) => {
    body = JSON.stringify({ issuer: docIssuer, jwks_uri: `${base}/jwks` })
    try {
      await discoverJwks(`${base}/doc`, issuer, { allowPrivateNetwork: true })
      return 'accepted'
    } catch (err) {
      return (err as Error).message
    }
  }
  const x = (n: number) => 'x'.repeat(n)
  // A string of 118 characters is 120 with its quotes: shown whole. One of 119 is cut.
  tt.equal(await message(x(118), ISSUER), `discovery document's issuer is "${x(118)}", expected the partner's jwtIssuer "${ISSUER}"`)
  tt.equal(await message(x(119), ISSUER), `discovery document's issuer is "${x(116)}..., expected the partner's jwtIssuer "${ISSUER}"`)
  tt.equal(await message(x(200), ISSUER), `discovery document's issuer is "${x(116)}..., expected the partner's jwtIssuer "${ISSUER}"`)
  tt.equal(await message('other', x(118)), `discovery document's issuer is "other", expected the partner's jwtIssuer "${x(118)}"`)
  tt.equal(await message('other', x(119)), `discovery document's issuer is "other", expected the partner's jwtIssuer "${x(116)}...`)
  tt.equal(await message(x(119), x(119)), 'accepted', 'a long issuer that matches is fine')
})
