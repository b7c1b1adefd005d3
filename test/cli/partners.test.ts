// `gatehouse partners …` as a real process: the admin API's rules and audit (its one-line errors: partners-validation.test.ts).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { openStore } from '../../src/storage/index.js'
import { tempDbPath } from '../helpers/build-app.js'
import { makeKey } from '../helpers/keys.js'
import { gatehouse, json } from './fixtures/run-gatehouse.js'

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
      [
        'cli',
        'partner.create',
        [
          'name',
          'jwtIssuer',
          'jwksUrl',
          'openidConfigurationUrl',
          'jwtPublicKey',
          'jwtAudience',
          'maxTokenLifetimeSeconds',
          'requireIssuedAt',
          'claimMapping',
          'requiredClaims',
          'profileUpdate',
          'status',
        ],
      ],
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

t.test('partners create and update set the partner controls: discovery, iat, claim mapping, required claims, profile updates', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath, JWKS_ALLOW_PRIVATE_NETWORK: 'true' }
  const created = await gatehouse(
    [
      'partners', 'create', '--id', 'kit', '--name', 'Embedded kit', '--issuer', 'https://kit.example',
      '--openid-configuration-url', 'http://127.0.0.1:9/.well-known/openid-configuration',
      '--require-issued-at', 'false',
      '--claim-mapping', 'externalUserId=https://cointracker.com/claims/partner_user_id',
      '--claim-mapping', 'displayName=https://cointracker.com/claims/partner_name',
      '--required-claim', 'type=access_token',
      '--required-claim', 'tier=gold=plus',
      '--profile-update', 'fillEmpty',
      '--json',
    ],
    { env },
  )
  tt.equal(created.code, 0, created.stderr)
  tt.match(json(created), {
    id: 'kit',
    jwksUrl: null,
    openidConfigurationUrl: 'http://127.0.0.1:9/.well-known/openid-configuration',
    requireIssuedAt: false,
    claimMapping: { externalUserId: 'https://cointracker.com/claims/partner_user_id', displayName: 'https://cointracker.com/claims/partner_name' },
    requiredClaims: { type: 'access_token', tier: 'gold=plus' },
    profileUpdate: 'fillEmpty',
    warnings: [/unreachable/],
  })
  const shown = (await gatehouse(['partners', 'show', 'kit'], { env })).stdout
  tt.match(shown, /keys\s+OpenID discovery http:\/\/127\.0\.0\.1:9\//)
  tt.match(shown, /iat\s+optional/)
  tt.match(shown, /required claims\s+type=access_token, tier=gold=plus/)
  tt.match(shown, /profile update\s+fillEmpty/)

  const keyFile = join(dbPath, '..', 'kit.public.pem')
  writeFileSync(keyFile, makeKey('cli-kit').spkiPem)
  const updated = await gatehouse(
    ['partners', 'update', 'kit', '--claim-mapping', 'displayName=', '--claim-mapping', 'email=identifier', '--required-claim', 'tier=', '--require-issued-at', 'true', '--public-key-file', keyFile, '--json'],
    { env },
  )
  tt.equal(updated.code, 0, updated.stderr)
  tt.match(json(updated), {
    version: 2,
    openidConfigurationUrl: null,
    jwtPublicKey: /BEGIN PUBLIC KEY/,
    requireIssuedAt: true,
    claimMapping: { externalUserId: 'https://cointracker.com/claims/partner_user_id', email: 'identifier' },
    requiredClaims: { type: 'access_token' },
    profileUpdate: 'fillEmpty',
  })
  tt.notOk('displayName' in json<{ claimMapping: object }>(updated).claimMapping, 'NAME= removed the entry')
  const asJson = await gatehouse(['partners', 'update', 'kit', '--claim-mapping', '{"email":null,"locale":"lang"}', '--required-claim', 'null', '--profile-update', 'overwrite', '--json'], { env })
  tt.equal(asJson.code, 0, asJson.stderr)
  tt.match(json(asJson), { version: 3, claimMapping: { externalUserId: 'https://cointracker.com/claims/partner_user_id', locale: 'lang' }, requiredClaims: null, profileUpdate: 'overwrite' })

  const store = await openStore({ kind: 'sqlite', path: dbPath })
  tt.teardown(() => store.close())
  tt.same((await store.audit.list({ partnerId: 'kit', limit: 3 })).map((e) => [e.actor, e.changedFields]), [
    ['cli', ['claimMapping', 'requiredClaims', 'profileUpdate']],
    ['cli', ['openidConfigurationUrl', 'jwtPublicKey', 'requireIssuedAt', 'claimMapping', 'requiredClaims']],
    ['cli', ['name', 'jwtIssuer', 'jwksUrl', 'openidConfigurationUrl', 'jwtPublicKey', 'jwtAudience', 'maxTokenLifetimeSeconds', 'requireIssuedAt', 'claimMapping', 'requiredClaims', 'profileUpdate', 'status']],
  ])
})
