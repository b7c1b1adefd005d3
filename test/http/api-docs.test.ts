// /openapi.json is generated from the validating schemas and documents every route; /docs serves the UI.
import t from 'tap'
import { build } from '../helpers/build-app.js'

t.test('every registered route appears in the OpenAPI document with summary, auth and problem responses', async (tt) => {
  const { app } = await build(tt)
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  tt.equal(res.statusCode, 200)
  const doc = res.json()
  tt.equal(doc.openapi, '3.1.0')
  const expected = [
    ['get', '/healthz'],
    ['get', '/readyz'],
    ['get', '/metrics'],
    ['get', '/me'],
    ['post', '/integrations/users'],
    ['get', '/integrations/users/{externalUserId}'],
    ['delete', '/integrations/users/{externalUserId}'],
    ['post', '/integrations/users/{externalUserId}/sessions/revoke'],
    ['post', '/integrations/token-checks'],
    ['get', '/integrations/keys'],
    ['post', '/integrations/keys/refresh'],
    ['get', '/integrations/refusals'],
    ['get', '/admin/partners'],
    ['post', '/admin/partners'],
    ['get', '/admin/partners/{id}'],
    ['patch', '/admin/partners/{id}'],
    ['delete', '/admin/partners/{id}'],
    ['post', '/admin/partners/{id}/api-keys'],
    ['get', '/admin/partners/{id}/api-keys'],
    ['delete', '/admin/partners/{id}/api-keys/{keyId}'],
    ['get', '/admin/partners/{id}/keys'],
    ['post', '/admin/partners/{id}/keys/refresh'],
    ['get', '/admin/partners/{id}/refusals'],
    ['post', '/admin/partners/{id}/users/{externalUserId}/sessions/revoke'],
    ['get', '/admin/audit'],
  ]
  const routes = routesOf(doc)
  tt.same(routes.map((r) => `${r.method} ${r.url}`).sort(), expected.map(([m, u]) => `${m} ${u}`).sort(), 'documented routes are exactly the API')
  for (const [method, url] of expected) {
    const op = doc.paths[url!][method!]
    tt.ok(op.summary, `${method} ${url} has a summary`)
    const authed = !['/healthz', '/readyz', '/metrics'].includes(url!)
    if (authed) tt.ok(op.security?.length, `${method} ${url} names its auth scheme`)
    if (authed) tt.ok(op.responses['401'], `${method} ${url} documents 401 problem`)
  }
  tt.ok(doc.components.schemas.Problem, 'problem+json shape is a shared schema')
  tt.ok(doc.components.schemas.Partner.example, 'schemas carry examples')
  tt.ok(doc.components.securitySchemes.partnerJwt)
})

t.test('the document covers every route Fastify actually serves', async (tt) => {
  const { app } = await build(tt)
  const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json()
  const documented = new Set(routesOf(doc).map((r) => `${r.method} ${r.url}`))
  // Walk Fastify's own route tree (children print relative to their parent, 4 columns deeper).
  const served: string[] = []
  const prefixes: string[] = []
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([│ ]*)[└├]── (\S+)(?: \(([A-Z, ]+)\))?/.exec(line)
    if (!match) continue
    const depth = match[1]!.length / 4
    prefixes.length = depth
    const url = (prefixes.join('') + match[2]!).replace(/:(\w+)/g, '{$1}')
    prefixes.push(match[2]!)
    // /docs and the admin console (/console) answer HTML pages, not the JSON API the document describes.
    if (!match[3] || url.startsWith('/docs') || url.startsWith('/console') || url === '/openapi.json') continue
    for (const method of match[3].split(', ')) if (method !== 'HEAD') served.push(`${method.toLowerCase()} ${url}`)
  }
  tt.ok(served.length >= 20, `found ${served.length} served routes`)
  for (const route of served) tt.ok(documented.has(route), `${route} is documented`)
})

t.test('/docs serves the reference UI', async (tt) => {
  const { app } = await build(tt)
  const res = await app.inject({ method: 'GET', url: '/docs' })
  tt.ok([200, 302].includes(res.statusCode))
  const page = await app.inject({ method: 'GET', url: res.statusCode === 302 ? String(res.headers.location) : '/docs' })
  tt.match(page.body, /swagger/i)
})

function routesOf(doc: { paths: Record<string, Record<string, unknown>> }) {
  const out: { method: string; url: string }[] = []
  for (const [url, ops] of Object.entries(doc.paths)) for (const method of Object.keys(ops)) out.push({ method, url })
  return out
}
