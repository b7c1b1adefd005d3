// `gatehouse dev …`: key pairs, a local JWKS and signed tokens that verify (checked with jose) and pass /me.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLocalJWKSet, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose'
import t from 'tap'
import { build } from '../helpers/build-app.js'
import { gatehouse, json, spawnGatehouse } from './fixtures/run-gatehouse.js'

function tempDir(tt: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-dev-'))
  tt.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Starts `dev jwks` and resolves with its URL once it prints it. */
async function startDevJwks(tt: { teardown(fn: () => unknown): void }, args: string[], cwd: string) {
  const child = spawnGatehouse(['dev', 'jwks', '--port', '0', '--json', ...args], { env: {}, cwd })
  let stdout = ''
  let stderr = ''
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  tt.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
    return exited
  })
  child.stderr!.on('data', (d) => (stderr += d))
  const info = await new Promise<{ url: string; kids: string[] }>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d
      try {
        resolve(JSON.parse(stdout))
      } catch {
        // not complete yet
      }
    })
    void exited.then((code) => reject(new Error(`dev jwks exited ${code}: ${stderr}`)))
  })
  return { ...info, child, exited, stderr: () => stderr }
}

t.test('dev keygen writes a key pair and a JWKS; dev mint signs tokens that verify against them', async (tt) => {
  const dir = tempDir(tt)
  const keygen = await gatehouse(['dev', 'keygen', '--out-dir', dir, '--name', 'acme', '--kid', 'acme-1'], { env: {} })
  tt.equal(keygen.code, 0, keygen.stderr)
  tt.match(keygen.stdout, /^kid: acme-1$/m, 'prints the kid')
  tt.equal(statSync(join(dir, 'acme.private.pem')).mode & 0o777, 0o600, 'the private key is readable by its owner only')
  tt.notMatch(keygen.stdout, /PRIVATE KEY/, 'the private key goes to its file, not the terminal')
  const jwks = JSON.parse(readFileSync(join(dir, 'acme.jwks.json'), 'utf8'))
  tt.match(jwks, { keys: [{ kty: 'RSA', kid: 'acme-1', alg: 'RS256', use: 'sig' }] })
  tt.notOk('d' in jwks.keys[0], 'the JWKS holds the public key only')

  const minted = await gatehouse(
    ['dev', 'mint', '--key', join(dir, 'acme.private.pem'), '--iss', 'https://acme.example', '--sub', 'user-1', '--aud', 'gatehouse', '--claims', '{"email":"a@example.com"}', '--ttl', '5m'],
    { env: {} },
  )
  tt.equal(minted.code, 0, minted.stderr)
  const token = minted.stdout.trim()
  tt.equal(decodeProtectedHeader(token).kid, 'acme-1', 'the kid recorded by keygen is used')
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), { issuer: 'https://acme.example', audience: 'gatehouse', algorithms: ['RS256'] })
  tt.equal(protectedHeader.alg, 'RS256')
  tt.match(payload, { sub: 'user-1', email: 'a@example.com' })
  tt.equal(payload.exp! - payload.iat!, 300, '--ttl 5m')
  const spki = await importSPKI(readFileSync(join(dir, 'acme.public.pem'), 'utf8'), 'RS256')
  await tt.resolves(jwtVerify(token, spki), 'verifies against the public PEM too')

  const expired = json<{ token: string; claims: { exp: number } }>(
    await gatehouse(['dev', 'mint', '--key', join(dir, 'acme.private.pem'), '--iss', 'i', '--sub', 's', '--claims', '{"iat": 1000, "exp": 2000}', '--json'], { env: {} }),
  )
  tt.equal(expired.claims.exp, 2000, '--claims overrides exp')
  await tt.rejects(jwtVerify(expired.token, spki), { code: 'ERR_JWT_EXPIRED' })

  const again = await gatehouse(['dev', 'keygen', '--out-dir', dir, '--name', 'acme'], { env: {} })
  tt.equal(again.code, 1, 'keygen never overwrites keys without --force')
  tt.match(again.stderr, /acme\.private\.pem exists; pass --force/)
})

t.test('dev mint and keygen errors are one line', async (tt) => {
  const dir = tempDir(tt)
  const noKey = await gatehouse(['dev', 'mint', '--iss', 'i', '--sub', 's'], { env: {}, cwd: dir })
  tt.equal(noKey.code, 1)
  tt.equal(noKey.stderr, 'gatehouse: no partner.private.pem: run "gatehouse dev keygen" first, or pass --key FILE\n')
  const noIss = await gatehouse(['dev', 'mint', '--sub', 's'], { env: {}, cwd: dir })
  tt.equal(noIss.code, 2)
  tt.match(noIss.stderr, /^gatehouse: dev mint: --iss is required/)
  tt.equal((await gatehouse(['dev', 'keygen'], { env: {}, cwd: dir })).code, 0, 'keygen defaults to ./partner.*')
  const badClaims = await gatehouse(['dev', 'mint', '--iss', 'i', '--sub', 's', '--claims', '[1]'], { env: {}, cwd: dir })
  tt.equal(badClaims.stderr, 'gatehouse: --claims: must be a JSON object\n')
  const badTtl = await gatehouse(['dev', 'mint', '--iss', 'i', '--sub', 's', '--ttl', 'soon'], { env: {}, cwd: dir })
  tt.match(badTtl.stderr, /^gatehouse: --ttl: must be a positive duration/)
  const publicOnly = await gatehouse(['dev', 'mint', '--iss', 'i', '--sub', 's', '--key', 'partner.public.pem'], { env: {}, cwd: dir })
  tt.match(publicOnly.stderr, /a private key is needed to sign/)
})

t.test('dev mint --preset signs the embedded-kit, custom-JWT and OIDC token shapes', async (tt) => {
  const dir = tempDir(tt)
  tt.equal((await gatehouse(['dev', 'keygen', '--kid', 'k1'], { env: {}, cwd: dir })).code, 0)
  const mint = async (args: string[]) => {
    const result = await gatehouse(['dev', 'mint', '--iss', 'https://iss.example', '--sub', 'user-7', '--json', ...args], { env: {}, cwd: dir })
    tt.equal(result.code, 0, result.stderr)
    return json<{ token: string; header: Record<string, unknown>; claims: Record<string, unknown> }>(result)
  }

  const kit = await mint(['--preset', 'embedded-kit', '--aud', 'https://embedded.example', '--partner-name', 'acme'])
  tt.same(Object.keys(kit.claims).sort(), ['aud', 'exp', 'https://cointracker.com/claims/partner_name', 'https://cointracker.com/claims/partner_user_id', 'iss'])
  tt.match(kit.claims, { 'https://cointracker.com/claims/partner_user_id': 'user-7', 'https://cointracker.com/claims/partner_name': 'acme', aud: 'https://embedded.example' })
  tt.equal(kit.header.kid, 'k1')

  const custom = await mint(['--preset', 'custom-jwt', '--aud', 'gatehouse'])
  tt.notOk('kid' in custom.header, 'custom JWTs are signed without kid')
  tt.notOk('iat' in custom.claims)
  tt.match(custom.claims, { sub: 'user-7', aud: ['gatehouse'] })
  tt.equal((await mint(['--preset', 'custom-jwt', '--aud', 'gatehouse', '--claims', '{"iat": 1}'])).claims.iat, 1, '--claims adds what a shape leaves out')

  const oidc = await mint(['--preset', 'oidc', '--email', 'ada@example.com', '--aud', 'api-key-id'])
  tt.match(oidc.claims, { client_user_id: 'user-7', identifier: 'ada@example.com', type: 'access_token', aud: 'api-key-id', iat: Number, jti: String })
  tt.not(oidc.claims.sub, 'user-7', "sub is the provider's own id")
  tt.equal((await mint(['--preset', 'oidc', '--claims', '{"type":"id_token"}'])).claims.type, 'id_token')

  for (const [args, message] of [
    [['--preset', 'saml'], /^gatehouse: dev mint: --preset must be one of standard, embedded-kit, custom-jwt, oidc /],
    [['--preset', 'embedded-kit', '--aud', 'a'], /^gatehouse: dev mint --preset embedded-kit: --partner-name is required/],
    [['--preset', 'custom-jwt'], /^gatehouse: dev mint --preset custom-jwt: --aud is required/],
    [['--partner-name', 'acme'], /^gatehouse: dev mint: --partner-name applies to --preset embedded-kit/],
  ] as const) {
    const result = await gatehouse(['dev', 'mint', '--iss', 'i', '--sub', 's', ...args], { env: {}, cwd: dir })
    tt.equal(result.code, 2, args.join(' '))
    tt.match(result.stderr, message)
  }
})

t.test('dev jwks serves the key until Ctrl-C, and the whole integrator loop passes GET /me', async (tt) => {
  const dir = tempDir(tt)
  tt.equal((await gatehouse(['dev', 'keygen'], { env: {}, cwd: dir })).code, 0)
  const served = await startDevJwks(tt, [], dir)
  const kid = JSON.parse(readFileSync(join(dir, 'partner.jwks.json'), 'utf8')).keys[0].kid
  tt.same(served.kids, [kid], 'serves ./partner.private.pem by default, under the kid keygen recorded')
  const res = await fetch(served.url)
  tt.equal(res.status, 200)
  tt.match(await res.json(), { keys: [{ kid, kty: 'RSA' }] })

  const { app, dbPath } = await build(tt, { realClock: true })
  const env = { DATABASE_URL: dbPath, JWKS_ALLOW_PRIVATE_NETWORK: 'true' }
  const created = await gatehouse(['partners', 'create', '--id', 'loop', '--name', 'Loop', '--issuer', 'https://loop.example', '--jwks-url', served.url, '--json'], { env })
  tt.equal(created.code, 0, created.stderr)
  tt.same(json(created).warnings, [], 'the JWKS was fetched with no warnings')
  const token = (await gatehouse(['dev', 'mint', '--iss', 'https://loop.example', '--sub', 'user-9', '--claims', '{"name":"Nine"}'], { env: {}, cwd: dir })).stdout.trim()
  // The CLI wrote through its own connection; the app learns of it at its next partner poll, done here at once.
  await app.services.directory.sync()
  const me = await app.inject({ method: 'GET', url: '/me', headers: { authorization: `Bearer ${token}` } })
  tt.equal(me.statusCode, 200, me.body)
  tt.match(me.json(), { user: { externalUserId: 'user-9', displayName: 'Nine', provisionedBy: 'jit' }, partner: { id: 'loop' } })

  served.child.kill('SIGINT')
  tt.equal(await served.exited, 0, 'Ctrl-C stops it cleanly')
  await tt.rejects(fetch(served.url), 'no longer serving')
})
