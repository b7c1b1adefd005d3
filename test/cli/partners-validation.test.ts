// `gatehouse partners …` refusing bad input as a real process: one line naming the field, non-zero exit,
// nothing written. Apart from partners.test.ts so that neither file nears tap's per-file time limit (each spawns
// the CLI dozens of times).
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import t, { type Test } from 'tap'
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

t.test('validation errors: one line naming the field, non-zero exit, nothing written', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const base = ['partners', 'create', '--id', 'acme', '--name', 'Acme', '--issuer', 'https://acme.example']

  oneLineError(tt, await gatehouse([...base, '--jwks-url', 'http://acme.example/jwks.json'], { env }), /^gatehouse: jwksUrl: must use https: /)
  oneLineError(tt, await gatehouse([...base], { env }), /jwksUrl: one of jwksUrl, openidConfigurationUrl, jwtPublicKey is required/)
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

t.test('partner-control flags are validated as the admin API validates them: one line naming the field', async (tt) => {
  const dbPath = tempDbPath(tt)
  const env = { DATABASE_URL: dbPath }
  const base = ['partners', 'create', '--id', 'acme', '--name', 'Acme', '--issuer', 'https://acme.example', '--jwks-url', 'https://acme.example/j']
  oneLineError(tt, await gatehouse([...base, '--require-issued-at', 'yes'], { env }), /^gatehouse: requireIssuedAt: must be true or false$/m)
  oneLineError(tt, await gatehouse([...base, '--required-claim', 'iss=https://acme.example'], { env }), /^gatehouse: requiredClaims\.iss: may not be one of iss, sub, aud, exp, nbf, iat/)
  oneLineError(tt, await gatehouse([...base, '--required-claim', 'type'], { env }), /^gatehouse: requiredClaims: "type" is not name=value$/m)
  oneLineError(tt, await gatehouse([...base, '--claim-mapping', 'userId=uid'], { env }), /^gatehouse: claimMapping/)
  oneLineError(tt, await gatehouse([...base, '--claim-mapping', '{"email":'], { env }), /^gatehouse: claimMapping: is not valid JSON$/m)
  oneLineError(tt, await gatehouse([...base, '--profile-update', 'sometimes'], { env }), /^gatehouse: profileUpdate: /)
  oneLineError(tt, await gatehouse([...base, '--openid-configuration-url', 'https://acme.example/.well-known/openid-configuration'], { env }), /openidConfigurationUrl: set only one of/)
  tt.same(json(await gatehouse(['partners', 'list', '--json'], { env })), { items: [] }, 'nothing was written')
  tt.equal((await gatehouse([...base], { env })).code, 0)
  const nothing = await gatehouse(['partners', 'update', 'acme'], { env })
  oneLineError(tt, nothing, /nothing to change/)
  tt.equal(nothing.code, 2, 'an update without options is a usage error')
  oneLineError(tt, await gatehouse(['partners', 'update', 'acme', '--required-claim', 'sub='], { env }), /^gatehouse: requiredClaims\.sub: /)
  oneLineError(tt, await gatehouse(['partners', 'update', 'nobody', '--profile-update', 'never'], { env }), /^gatehouse: no partner nobody$/m)
})

t.test('bad configuration is one line naming the variable', async (tt) => {
  const result = await gatehouse(['partners', 'list'], { env: { DATABASE_URL: tempDbPath(tt), CLOCK_SKEW_SECONDS: 'soon' } })
  oneLineError(tt, result, /CLOCK_SKEW_SECONDS/)
})
