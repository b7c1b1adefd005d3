// A seeded, deterministic corpus of compact JWS tokens for differential tests: valid ones, tampered ones and odd spellings.
import { createHmac, constants, sign } from 'node:crypto'
import { signedToken, tokenOfLength } from './edge-tokens.js'
import type { TestKey } from './keys.js'

export interface CorpusToken {
  /** The family of the case, for per-family counts. */
  family: string
  /** What was done to the token, shown when a case fails. */
  label: string
  token: string
  /** The key the verifier is given: usually the signer, sometimes a different one. */
  verifyWith: TestKey
}

export interface CorpusKeys {
  /** The partner keys that sign most cases, 2048–4096 bits. */
  signers: TestKey[]
  /** A key under 2048 bits: its tokens must be refused whatever they carry. */
  weak: TestKey
  /** A 2048-bit key the tokens are not signed with. */
  stranger: TestKey
}

export interface CorpusOptions {
  seed: number
  issuer: string
  /** Epoch seconds the claims are made valid at. */
  now: number
  /** How many tampered variants of valid tokens to add. */
  tampered: number
}

/** mulberry32: a small seeded generator, so the corpus is the same on every run. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const b64u = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url')

/** RS256 over an arbitrary signing input (any spelling of its two parts), as a partner's library would sign it. */
function rs256(key: TestKey, input: string): string {
  return `${input}.${b64u(sign('sha256', Buffer.from(input), key.privateKey))}`
}

/** A spelling of `part` that decodes to the same bytes but sets unused low bits of its last character, if it has any. */
function withUnusedBitsSet(part: string): string | null {
  const tail = part.length % 4
  if (tail === 0) return null
  const last = ALPHABET.indexOf(part[part.length - 1]!)
  const unused = tail === 2 ? 0b1111 : 0b11
  return part.slice(0, -1) + ALPHABET[last | unused]
}

export function buildCorpus(keys: CorpusKeys, options: CorpusOptions): CorpusToken[] {
  const random = seededRandom(options.seed)
  const int = (n: number) => Math.floor(random() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const corpus: CorpusToken[] = []
  const add = (family: string, label: string, token: string, verifyWith: TestKey) => corpus.push({ family, label, token, verifyWith })
  let serial = 0
  const claims = (extra: object = {}) => ({ iss: options.issuer, sub: `user-${serial++}`, iat: options.now - 10, exp: options.now + 600, ...extra })

  /** Header member spellings a partner library might add; none of them may change whose key judges the token. */
  const oddMembers: [string, string][] = [
    ['typ', '"JWT"'],
    ['typ', '"at+jwt"'],
    ['kid', '"k1"'],
    ['kid', '7'],
    ['kid', 'null'],
    ['kid', '["k1"]'],
    ['cty', '"JWT"'],
    ['x5c', `["${b64u('not a certificate')}"]`],
    ['x5t', `"${b64u('thumbprint')}"`],
    ['jku', '"https://attacker.example/jwks.json"'],
    ['x5u', '"https://attacker.example/cert.pem"'],
    ['jwk', JSON.stringify(keys.stranger.publicJwk)],
    ['b64', 'false'],
    ['zip', '"DEF"'],
    ['enc', '"A256GCM"'],
    ['__proto__', '{"alg":"none","crit":["x"]}'],
    ['constructor', '"x"'],
    ['x-nested', '{"a":[1,{"b":null}],"c":"\\u00e9\\ud83d\\ude00"}'],
    ['\\u0074yp', '"escaped name"'],
  ]
  const spaces = ['', ' ', '\n', '\t', ' \r\n ']
  /** A JSON object text from raw members (duplicates allowed), spaced at random. */
  const objectText = (members: [string, string][]) => {
    const gap = () => pick(spaces)
    return `{${gap()}${members.map(([name, value]) => `"${name}"${gap()}:${gap()}${value}`).join(`,${gap()}`)}${gap()}}`
  }
  const withOddMembers = (members: [string, string][]) => {
    const all: [string, string][] = [...members]
    for (let n = int(4); n > 0; n--) all.splice(int(all.length + 1), 0, pick(oddMembers))
    return all
  }

  // Valid tokens, with odd but harmless header members; the base of the tampered cases.
  const valid: CorpusToken[] = []
  for (let i = 0; i < 240; i++) {
    const signer = i % 10 === 9 ? keys.weak : pick(keys.signers)
    const header = objectText(withOddMembers([['alg', '"RS256"']]))
    const payload = JSON.stringify(claims(int(3) === 0 ? { email: `u${i}@example.com`, name: 'Zoë', groups: ['a', 'b'] } : {}))
    const token = signedToken(signer, header, payload)
    add('valid', `signed by ${signer.bits}-bit key, header ${header}`, token, signer)
    if (signer !== keys.weak) valid.push(corpus[corpus.length - 1]!)
  }

  // The algorithm: only the exact string RS256, whatever the signature; duplicate members (the last one wins in JSON.parse).
  const algs = ['"RS256"', '"rs256"', '"Rs256"', '"RS384"', '"RS512"', '"PS256"', '"ES256"', '"HS256"', '"none"', '""', 'null', '1', '["RS256"]', '{}', '"RS256 "', '"RS256\\u0000"', '"\\u0052S256"']
  for (const alg of algs) {
    for (let i = 0; i < 6; i++) {
      const signer = pick(keys.signers)
      add('algorithm', `alg ${alg}`, signedToken(signer, objectText(withOddMembers([['alg', alg]])), claims()), signer)
    }
  }
  const duplicateAlgs: [string, string][][] = [
    [['alg', '"none"'], ['alg', '"RS256"']],
    [['alg', '"RS256"'], ['alg', '"none"']],
    [['alg', '"RS256"'], ['alg', '"HS256"']],
    [['alg', '"RS256"'], ['alg', '"RS256"']],
    [['alg', '"RS256"'], ['kid', '"a"'], ['kid', '7']],
  ]
  for (const members of duplicateAlgs) {
    const signer = pick(keys.signers)
    add('duplicate-members', `header ${objectText(members)}`, signedToken(signer, objectText(members), claims()), signer)
  }
  add('algorithm', 'no alg at all', signedToken(keys.signers[0]!, '{"typ":"JWT"}', claims()), keys.signers[0]!)
  const hs = `${b64u('{"alg":"HS256"}')}.${b64u(JSON.stringify(claims()))}`
  add('algorithm', 'HS256 keyed with the public key PEM', `${hs}.${b64u(createHmac('sha256', keys.signers[0]!.spkiPem).update(hs).digest())}`, keys.signers[0]!)
  const ps = `${b64u('{"alg":"RS256"}')}.${b64u(JSON.stringify(claims()))}`
  const pss = sign('sha256', Buffer.from(ps), { key: keys.signers[0]!.privateKey, padding: constants.RSA_PKCS1_PSS_PADDING })
  add('algorithm', 'RS256 header over a PSS signature', `${ps}.${b64u(pss)}`, keys.signers[0]!)
  add('algorithm', 'RS256 header over a SHA-384 signature', `${ps}.${b64u(sign('sha384', Buffer.from(ps), keys.signers[0]!.privateKey))}`, keys.signers[0]!)

  // crit: refused whenever present, even where a JOSE library understands it.
  const crits: [string, string][][] = [
    [['alg', '"RS256"'], ['crit', '["b64"]'], ['b64', 'true']],
    [['alg', '"RS256"'], ['crit', '["exp"]'], ['exp', '1']],
    [['alg', '"RS256"'], ['crit', '[]']],
    [['alg', '"RS256"'], ['crit', 'null']],
    [['alg', '"RS256"'], ['crit', '["b64","b64"]'], ['b64', 'true']],
  ]
  for (const members of crits) {
    const signer = pick(keys.signers)
    add('crit', `header ${objectText(members)}`, signedToken(signer, objectText(members), claims()), signer)
  }

  // Header and payload must be JSON objects naming the partner; signed correctly, so only that rule decides.
  const iss = JSON.stringify(options.issuer)
  const later = options.now + 600
  const payloads: [string, string | Buffer][] = [
    ['an array', '[1,2]'],
    ['a string', '"hello"'],
    ['a number', '42'],
    ['null', 'null'],
    ['true', 'true'],
    ['empty', ''],
    ['not JSON', 'hello world'],
    ['an object followed by garbage', `{"iss":${iss}}x`],
    ['two objects', `{"iss":${iss}}{}`],
    ['an object with a trailing comma', `{"iss":${iss},}`],
    ['no iss', `{"sub":"a","iat":${options.now},"exp":${later}}`],
    ['a numeric iss', `{"iss":7,"sub":"a","iat":${options.now},"exp":${later}}`],
    ['another issuer', `{"iss":"https://elsewhere.example","sub":"a","iat":${options.now},"exp":${later}}`],
    ['the issuer with a trailing slash', `{"iss":${JSON.stringify(`${options.issuer}/`)},"sub":"a","iat":${options.now},"exp":${later}}`],
    ['a duplicate iss, the last not a string', `{"iss":${iss},"iss":1,"sub":"a","iat":${options.now},"exp":${later}}`],
    ['a duplicate iss, the last the partner', `{"iss":"x","iss":${iss},"sub":"a","iat":${options.now},"exp":${later}}`],
    ['a duplicate sub', `{"iss":${iss},"sub":"a","sub":"b","iat":${options.now},"exp":${later}}`],
    ['a duplicate exp, the last expired', `{"iss":${iss},"sub":"a","iat":${options.now},"exp":${later},"exp":1}`],
    ['an own __proto__ member', `{"__proto__":{"iss":"x"},"iss":${iss},"sub":"a","iat":${options.now},"exp":${later}}`],
    ['escaped member names', `{"\\u0069ss":${iss},"s\\u0075b":"a","iat":${options.now},"exp":${later}}`],
    ['surrounding whitespace', ` \n{"iss":${iss},"sub":"a","iat":${options.now},"exp":${later}}\t `],
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"iss":${iss},"sub":"a","iat":${options.now},"exp":${later}}`)])],
  ]
  for (const [what, payload] of payloads) {
    const signer = pick(keys.signers)
    add('payload-shape', `payload ${what}`, rs256(signer, `${b64u('{"alg":"RS256"}')}.${b64u(payload)}`), signer)
  }
  const headers: [string, string | Buffer][] = [
    ['an array', '["RS256"]'],
    ['a string', '"RS256"'],
    ['empty', ''],
    ['an object followed by garbage', '{"alg":"RS256"}]'],
    ['a byte order mark', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"alg":"RS256"}')])],
  ]
  for (const [what, header] of headers) {
    const signer = pick(keys.signers)
    add('header-shape', `header ${what}`, rs256(signer, `${b64u(header)}.${b64u(JSON.stringify(claims()))}`), signer)
  }

  // Non-canonical base64url, signed over exactly that spelling: lenient decoders accept it, the contract does not.
  for (let i = 0; i < 120; i++) {
    const signer = pick(keys.signers)
    let header = b64u(objectText(withOddMembers([['alg', '"RS256"']])))
    let payload = b64u(JSON.stringify(claims(int(2) ? { pad: 'x'.repeat(int(3)) } : {})))
    const spelling = int(5)
    const inHeader = int(2) === 0
    const part = inHeader ? header : payload
    let changed: string | null
    let what: string
    if (spelling === 0) [changed, what] = [withUnusedBitsSet(part), 'unused low bits set']
    else if (spelling === 1) [changed, what] = [`${part}${'='.repeat((4 - (part.length % 4)) % 4)}`, '= padding']
    else if (spelling === 2) [changed, what] = [`${part.slice(0, 8)}${pick([' ', '\n', '\t', '\r'])}${part.slice(8)}`, 'whitespace inside']
    else if (spelling === 3) [changed, what] = [part.replace(/-/g, '+').replace(/_/g, '/'), 'the standard alphabet']
    else [changed, what] = [`${part}=`, 'a stray =']
    if (changed === null || changed === part) continue
    if (inHeader) header = changed
    else payload = changed
    add('non-canonical-signed', `${inHeader ? 'header' : 'payload'} spelled with ${what}`, rs256(signer, `${header}.${payload}`), signer)
  }

  // Signatures of the wrong length or value, and other spellings of a valid signature.
  for (let i = 0; i < 160; i++) {
    const base = pick(valid)
    const [h, p, s] = base.token.split('.') as [string, string, string]
    const signature = Buffer.from(s, 'base64url')
    const k = signature.length
    const n = Buffer.from(base.verifyWith.publicJwk.n, 'base64url')
    const variants: [string, Buffer | string][] = [
      ['the last byte dropped', signature.subarray(0, k - 1)],
      ['the first byte dropped', signature.subarray(1)],
      ['a zero byte prepended', Buffer.concat([Buffer.alloc(1), signature])],
      ['a zero byte appended', Buffer.concat([signature, Buffer.alloc(1)])],
      ['empty', Buffer.alloc(0)],
      ['one byte', Buffer.from([signature[0]!])],
      ['doubled', Buffer.concat([signature, signature])],
      ['all zeros', Buffer.alloc(k)],
      ['all ones', Buffer.alloc(k, 0xff)],
      ['equal to the modulus', n],
      ['the modulus minus one', Buffer.from((BigInt(`0x${n.toString('hex')}`) - 1n).toString(16).padStart(k * 2, '0'), 'hex')],
      ['one bit flipped', Buffer.from(signature.map((byte, j) => (j === int(k) ? byte ^ (1 << int(8)) : byte)))],
      ['unused low bits set', withUnusedBitsSet(s) ?? s],
      ['= padding', `${s}${'='.repeat((4 - (s.length % 4)) % 4)}`],
      ['whitespace inside', `${s.slice(0, 20)}\t${s.slice(20)}`],
      ['the standard alphabet', Buffer.from(s, 'base64url').toString('base64').replace(/=+$/, '')],
    ]
    const [what, replacement] = pick(variants)
    const spelled = typeof replacement === 'string' ? replacement : b64u(replacement)
    add('signature', `signature ${what}`, `${h}.${p}.${spelled}`, base.verifyWith)
  }

  // Byte-level tampering of valid tokens, in any part.
  const edits = ['replace', 'insert', 'delete', 'swap', 'case'] as const
  for (let i = 0; i < options.tampered; i++) {
    const base = pick(valid)
    const parts = base.token.split('.')
    const which = int(3)
    const part = parts[which]!
    const at = int(part.length)
    const edit = pick(edits)
    let changed = part
    if (edit === 'replace') changed = part.slice(0, at) + pick([...ALPHABET]) + part.slice(at + 1)
    else if (edit === 'insert') changed = part.slice(0, at) + pick([...ALPHABET]) + part.slice(at)
    else if (edit === 'delete') changed = part.slice(0, at) + part.slice(at + 1)
    else if (edit === 'swap' && at + 1 < part.length) changed = part.slice(0, at) + part[at + 1] + part[at] + part.slice(at + 2)
    else if (edit === 'case') changed = part.slice(0, at) + (part[at] === part[at]!.toUpperCase() ? part[at]!.toLowerCase() : part[at]!.toUpperCase()) + part.slice(at + 1)
    if (changed === part) continue
    parts[which] = changed
    add('tampered', `${edit} at ${at} of the ${['header', 'payload', 'signature'][which]}`, parts.join('.'), base.verifyWith)
  }

  // The key: a stranger's key, a weak key, and the other partner keys.
  for (let i = 0; i < 120; i++) {
    const base = pick(valid)
    const other = pick([keys.stranger, keys.weak, ...keys.signers.filter((k) => k !== base.verifyWith)])
    add('wrong-key', `signed by ${base.verifyWith.bits}-bit ${base.verifyWith.kid}, verified with ${other.bits}-bit ${other.kid}`, base.token, other)
  }

  // Structure: the number of parts and where the dots are.
  for (let i = 0; i < 40; i++) {
    const [h, p, s] = pick(valid).token.split('.') as [string, string, string]
    const shapes: [string, string][] = [
      ['two parts', `${h}.${p}`],
      ['four parts', `${h}.${p}.${s}.${s}`],
      ['a trailing dot', `${h}.${p}.${s}.`],
      ['a leading dot', `.${h}.${p}.${s}`],
      ['an empty header', `.${p}.${s}`],
      ['an empty payload', `${h}..${s}`],
      ['one part', `${h}${p}${s}`],
      ['a non-ASCII character', `${h}.${p}é.${s}`],
      ['surrounding spaces', ` ${h}.${p}.${s} `],
    ]
    const [what, token] = pick(shapes)
    add('structure', what, token, pick(valid).verifyWith)
  }

  // Size: the 8 KiB limit is on the whole token, counted in bytes.
  for (const signer of keys.signers) {
    for (const bytes of [8191, 8192, 8193, 9000]) {
      add('size', `${bytes} bytes, ${signer.bits}-bit key`, tokenOfLength(signer, { alg: 'RS256' }, claims(), bytes), signer)
    }
  }
  return corpus
}
