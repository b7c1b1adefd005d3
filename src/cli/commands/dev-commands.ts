// `gatehouse dev …`: tools for integrators, no database needed — key pairs, a local JWKS, signed test tokens.
import { existsSync } from 'node:fs'
import { CliError, UsageError } from '../cli-error.js'
import { type Command, type CommandContext, stringOption, stringsOption } from '../command.js'
import { startDevJwksServer } from '../dev-jwks-server.js'
import { type DevKey, type DevKeyFiles, devKeyPaths, generateDevKey, loadDevKey, mintDevToken, writeDevKeyFiles } from '../dev-keys.js'
import { TOKEN_PRESETS, type TokenPreset } from '../dev-token-shapes.js'

export const DEFAULT_KEY_NAME = 'partner'
export const DEFAULT_JWKS_PORT = 3001
const DEFAULT_KEY_FILE = devKeyPaths('.', DEFAULT_KEY_NAME).privatePem

function describeFiles(files: DevKeyFiles): string {
  return [
    `  ${files.privatePem}  private key (PKCS#8, mode 0600): keep it secret, it signs your users' tokens`,
    `  ${files.publicPem}  public key (SPKI): for a static-key partner (partners create --public-key-file)`,
    `  ${files.jwks}  public JWK in a JWKS: serve it at your jwksUrl (or run: gatehouse dev jwks)`,
  ].join('\n')
}

/** `5`, `300s`, `10m`, `2h` → seconds. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+)([smh]?)$/.exec(value)
  const seconds = m ? Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as const)[m[2] as '' | 's' | 'm' | 'h'] : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new CliError(`${flag}: must be a positive duration such as 600, 10m or 1h`)
  return seconds
}

const keygen: Command = {
  words: ['dev', 'keygen'],
  synopsis: '[--out-dir DIR] [--name NAME] [--kid KID] [--force]',
  summary: 'generate an RSA 2048 key pair: NAME.private.pem, NAME.public.pem, NAME.jwks.json; prints the kid',
  options: { 'out-dir': { type: 'string' }, name: { type: 'string' }, kid: { type: 'string' }, force: { type: 'boolean' } },
  async run(ctx) {
    const name = stringOption(ctx, 'name') ?? DEFAULT_KEY_NAME
    if (!/^[\w.-]+$/.test(name)) throw new CliError('--name: use letters, digits, ".", "_" and "-" only')
    const kid = stringOption(ctx, 'kid')
    const key = await generateDevKey(kid === undefined ? {} : { kid })
    const files = devKeyPaths(stringOption(ctx, 'out-dir') ?? '.', name)
    writeDevKeyFiles(key, files, ctx.values.force === true)
    ctx.print(`Generated an RSA ${key.bits}-bit key pair with kid ${key.kid}:\n${describeFiles(files)}\nkid: ${key.kid}`, {
      kid: key.kid,
      bits: key.bits,
      files,
      publicJwk: key.publicJwk,
    })
  },
}

async function keysToServe(ctx: CommandContext): Promise<DevKey[]> {
  const files = stringsOption(ctx, 'key')
  const kid = stringOption(ctx, 'kid')
  if (kid !== undefined && files.length > 1) throw new UsageError('dev jwks: --kid applies to a single --key')
  if (files.length > 0) return Promise.all(files.map((file) => loadDevKey(file, kid === undefined ? {} : { kid })))
  if (existsSync(DEFAULT_KEY_FILE)) return [await loadDevKey(DEFAULT_KEY_FILE, kid === undefined ? {} : { kid })]
  // No key yet: make one where `dev mint` will look for it, so the two commands work together out of the box.
  const key = await generateDevKey(kid === undefined ? {} : { kid })
  const written = devKeyPaths('.', DEFAULT_KEY_NAME)
  writeDevKeyFiles(key, written, false)
  ctx.warn(`No --key given and no ${DEFAULT_KEY_FILE}: generated a key pair.\n${describeFiles(written)}`)
  return [key]
}

const jwks: Command = {
  words: ['dev', 'jwks'],
  synopsis: '[--key FILE]... [--kid KID] [--port PORT]',
  summary: `serve a JWKS for the given keys (default ${DEFAULT_KEY_FILE}, generated if missing) on 127.0.0.1 until Ctrl-C`,
  options: { key: { type: 'string', multiple: true }, kid: { type: 'string' }, port: { type: 'string' } },
  async run(ctx) {
    const portText = stringOption(ctx, 'port') ?? String(DEFAULT_JWKS_PORT)
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) throw new CliError('--port: must be a port number (0 picks a free one)')
    const keys = await keysToServe(ctx)
    const kids = new Set(keys.map((k) => k.kid))
    if (kids.size !== keys.length) throw new CliError('dev jwks: two keys share a kid; give each key its own')
    let server: Awaited<ReturnType<typeof startDevJwksServer>>
    try {
      server = await startDevJwksServer({ keys: keys.map((k) => k.publicJwk), port: Number(portText) })
    } catch (err) {
      throw new CliError(`cannot listen on 127.0.0.1:${portText}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`)
    }
    ctx.print(
      [
        `Serving a JWKS with ${keys.length === 1 ? 'kid' : 'kids'} ${[...kids].join(', ')} at`,
        '',
        `  ${server.url}`,
        '',
        'Gatehouse must run with JWKS_ALLOW_PRIVATE_NETWORK=true to fetch it (http: on loopback). Ctrl-C stops.',
      ].join('\n'),
      { url: server.url, kids: [...kids] },
    )
    await ctx.io.untilStopped()
    await server.close()
  },
}

function parseClaims(text: string | undefined): Record<string, unknown> {
  if (text === undefined) return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new CliError(`--claims: not valid JSON: ${text.slice(0, 80)}`)
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CliError('--claims: must be a JSON object')
  return parsed as Record<string, unknown>
}

function parsePreset(value: string | undefined): TokenPreset {
  if (value === undefined) return 'standard'
  if (!(TOKEN_PRESETS as readonly string[]).includes(value)) throw new UsageError(`dev mint: --preset must be one of ${TOKEN_PRESETS.join(', ')}`)
  return value as TokenPreset
}

const mint: Command = {
  words: ['dev', 'mint'],
  synopsis: `--iss ISS --sub SUB [--preset ${TOKEN_PRESETS.join('|')}] [--aud AUD] [--partner-name SLUG] [--email EMAIL] [--claims JSON] [--key FILE] [--kid KID] [--ttl SECONDS]`,
  summary: `print an RS256 token signed with --key (default ${DEFAULT_KEY_FILE}) in a partner token shape; --claims overrides any claim`,
  options: {
    iss: { type: 'string' },
    sub: { type: 'string' },
    preset: { type: 'string' },
    aud: { type: 'string' },
    'partner-name': { type: 'string' },
    email: { type: 'string' },
    claims: { type: 'string' },
    key: { type: 'string' },
    kid: { type: 'string' },
    ttl: { type: 'string' },
  },
  async run(ctx) {
    const iss = stringOption(ctx, 'iss')
    const sub = stringOption(ctx, 'sub')
    if (iss === undefined) throw new UsageError('dev mint: --iss is required')
    if (sub === undefined) throw new UsageError('dev mint: --sub is required')
    const preset = parsePreset(stringOption(ctx, 'preset'))
    const claims = parseClaims(stringOption(ctx, 'claims'))
    const keyFile = stringOption(ctx, 'key') ?? DEFAULT_KEY_FILE
    if (stringOption(ctx, 'key') === undefined && !existsSync(keyFile)) {
      throw new CliError(`no ${DEFAULT_KEY_FILE}: run "gatehouse dev keygen" first, or pass --key FILE`)
    }
    const kid = stringOption(ctx, 'kid')
    const key = await loadDevKey(keyFile, kid === undefined ? {} : { kid })
    const ttlText = stringOption(ctx, 'ttl')
    const optional = (name: string) => stringOption(ctx, name)
    const minted = await mintDevToken(key, {
      preset,
      iss,
      sub,
      ...(optional('aud') !== undefined ? { aud: optional('aud') } : {}),
      ...(optional('partner-name') !== undefined ? { partnerName: optional('partner-name') } : {}),
      ...(optional('email') !== undefined ? { email: optional('email') } : {}),
      claims,
      ttlSeconds: ttlText === undefined ? 600 : parseDuration(ttlText, '--ttl'),
    })
    ctx.print(minted.token, { token: minted.token, header: minted.header, claims: minted.payload })
  },
}

export const devCommands: Command[] = [keygen, jwks, mint]
