// RSA test keys, generated once per kid and size in this process (2048-bit generation costs ~100 ms).
import { generateKeyPairSync, type KeyObject } from 'node:crypto'

export interface TestKey {
  kid: string
  bits: number
  privateKey: KeyObject
  publicKey: KeyObject
  publicJwk: { kty: 'RSA'; n: string; e: string; kid: string; alg: 'RS256'; use: 'sig' }
  spkiPem: string
  pkcs1Pem: string
}

const made = new Map<string, TestKey>()

export function makeKey(kid: string, bits = 2048): TestKey {
  const id = `${kid}/${bits}`
  const existing = made.get(id)
  if (existing) return existing
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: bits })
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string }
  const key: TestKey = {
    kid,
    bits,
    privateKey,
    publicKey,
    publicJwk: { kty: 'RSA', n: jwk.n, e: jwk.e, kid, alg: 'RS256', use: 'sig' },
    spkiPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    pkcs1Pem: publicKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  }
  made.set(id, key)
  return key
}
