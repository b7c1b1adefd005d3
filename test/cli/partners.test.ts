// `gatehouse partners …` as a real process: the admin API's rules and audit, one-line errors.
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { gatehouse, json } from './fixtures/run-gatehouse.js'

function oneLineError(tt: Test, result: { code: number | null; stdout: string; stderr: string }, expected: RegExp): void {
  tt.not(result.code, 0, 'exits non-zero')
  tt.equal(result.stdout, '', 'prints nothing on stdout')
  tt.equal(result.stderr.trimEnd().split('\n').length, 1, `one line on stderr: ${result.stderr}`)
  tt.notMatch(result.stderr, /\n\s+at /, 'no stack trace')
  tt.match(result.stderr, expected)
}

t.test('partners create, list, show and disable round trip, audited as cli', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const keyFile = join(dbPath, '..', 'acme.public.pem')
  writeFileSync(keyFile, makeKey('cli-partners').spkiPem)

  const created = await gatehouse(
    ['partners', 'create', '--id', 'acme', '--name', 'Acme Corp', '--issuer', 'https://acme.example', '--public-key-file', keyFile, '--audience', 'gatehouse', '--max-lifetime', '900', '--json'],
    { env },
  )
  tt.equal(created.code, 0, created.stderr)
  tt.match(json(created), { id: 'acme', name: 'Acme Corp', jwtIssuer: 'https://acme.example', jwtAudience: 'gatehouse', maxTokenLifetimeSeconds: 900, status: 'active', version: 1 })

  const human = await gatehouse(['partners', 'list'], { env })
  tt.equal(human.code, 0)
  tt.match(human.stdout, /^ID\s+STATUS\s+VERSION\s+ISSUER/m, 'a table header')
  tt.match(human.stdout, /^acme\s+active\s+1\s+https:\/\/acme\.example\s+static public key$/m)
  tt.same(json<{ items: { id: string }[] }>(await gatehouse(['partners', 'list', '--json'], { env })).items.map((p) => p.id), ['acme'])

  const shown = await gatehouse(['partners', 'show', 'acme'], { env })
  tt.equal(shown.code, 0)
  tt.match(shown.stdout, /acme\s+Acme Corp\s+\(active, version 1\)/)
  tt.match(shown.stdout, /audience\s+gatehouse/)
  tt.match(shown.stdout, /max lifetime\s+900 s/)
  const shownJson = json(await gatehouse(['partners', 'show', 'acme', '--keys', '--json'], { env }))
  tt.match(shownJson, { id: 'acme', apiKeys: [], keys: { source: 'static', keys: [{ bits: 2048, usable: true }] } })

  const duplicate = await gatehouse(['partners', 'create', '--id', 'acme', '--name', 'Again', '--issuer', 'https://other.example', '--public-key-file', keyFile], { env })
  tt.equal(duplicate.code, 1, 'a taken id is refused like POST /admin/partners (409)')
  tt.equal(duplicate.stderr, 'gatehouse: A partner with this id already exists\n')

  const disabled = await gatehouse(['partners', 'disable', 'acme', '--json'], { env })
  tt.equal(disabled.code, 0, disabled.stderr)
  tt.match(json(disabled), { id: 'acme', status: 'disabled', version: 2 })
  tt.match((await gatehouse(['partners', 'show', 'acme'], { env })).stdout, /\(disabled, version 2\)/)

  const store = await openStore({ kind: 'sqlite', path: dbPath })
  tt.teardown(() => store.close())
  const audit = await store.audit.list({ partnerId: 'acme', limit: 10 })
  tt.same(
    audit.map((e) => [e.actor, e.action, e.changedFields]),
    [
      ['cli', 'partner.update', ['status']],
      ['cli', 'partner.create', ['name', 'jwtIssuer', 'jwksUrl', 'jwtPublicKey', 'jwtAudience', 'maxTokenLifetimeSeconds', 'status']],
    ],
  )
})

t.test('partners create with a JWKS URL fetches it and reports warnings like the admin API', async (tt) => {
  const env = { DATABASE_URL: tempDbPath(tt), JWKS_ALLOW_PRIVATE_NETWORK: 'true' }
  // Nothing listens on port 9 of loopback: the write succeeds with a warning, as POST /admin/partners does.
  const created = await gatehouse(['partners', 'create', '--id', 'later', '--name', 'Later', '--issuer', 'https://later.example', '--jwks-url', 'http://127.0.0.1:9/jwks.json'], { env })
  tt.equal(created.code, 0, created.stderr)
  tt.match(created.stdout, /Created partner later/)
  tt.match(created.stderr, /^warning: JWKS unreachable: /m)
})

t.test('validation errors: one line naming the field, non-zero exit, nothing written', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const base = ['partners', 'create', '--id', 'acme', '--name', 'Acme', '--issuer', 'https://acme.example']

  oneLineError(tt, await gatehouse([...base, '--jwks-url', 'http://acme.example/jwks.json'], { env }), /^gatehouse: jwksUrl: must use https: /)
  oneLineError(tt, await gatehouse([...base], { env }), /jwksUrl: one of jwksUrl or jwtPublicKey is required/)
  oneLineError(tt, await gatehouse(['partners', 'create', '--id', 'Not A Slug', '--name', 'x', '--issuer', 'i', '--jwks-url', 'https://x.example/j'], { env }), /^gatehouse: id: must be a slug/)
  oneLineError(tt, await gatehouse([...base, '--jwks-url', 'https://acme.example/j', '--max-lifetime', '10'], { env }), /^gatehouse: maxTokenLifetimeSeconds: /)
  oneLineError(tt, await gatehouse([...base, '--jwks-url', 'https://acme.example/j', '--max-lifetime', '1h'], { env }), /maxTokenLifetimeSeconds: must be a whole number/)

  const privateKey = join(dbPath, '..', 'private.pem')
  writeFileSync(privateKey, makeKey('cli-private').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString())
  const leaked = await gatehouse([...base, '--public-key-file', privateKey], { env })
  oneLineError(tt, leaked, /^gatehouse: jwtPublicKey: key is a private key/)
  tt.notMatch(leaked.stderr, /BEGIN/, 'the key is not echoed')
  oneLineError(tt, await gatehouse([...base, '--public-key-file', join(dbPath, '..', 'missing.pem')], { env }), /--public-key-file: cannot read .*ENOENT/)

  const missingFlag = await gatehouse(['partners', 'create', '--id', 'acme'], { env })
  oneLineError(tt, missingFlag, /--name is required/)
  tt.equal(missingFlag.code, 2, 'a missing flag is a usage error')
  oneLineError(tt, await gatehouse(['partners', 'show', 'nobody'], { env }), /^gatehouse: no partner nobody$/m)
  oneLineError(tt, await gatehouse(['partners', 'disable', 'nobody'], { env }), /^gatehouse: no partner nobody$/m)

  tt.same(json(await gatehouse(['partners', 'list', '--json'], { env })), { items: [] }, 'nothing was written')
})

t.test('bad configuration is one line naming the variable', async (tt) => {
  const result = await gatehouse(['partners', 'list'], { env: { DATABASE_URL: tempDbPath(tt), CLOCK_SKEW_SECONDS: 'soon' } })
  oneLineError(tt, result, /CLOCK_SKEW_SECONDS/)
})
