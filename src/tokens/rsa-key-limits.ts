// The RSA keys Gatehouse verifies with, JWKS keys and static partner keys alike: modulus size and public exponent.

export const MIN_RSA_BITS = 2048
/** Verification cost grows with the modulus: a 16,384-bit key costs hundreds of times a 2048-bit one. */
export const MAX_RSA_BITS = 4096
/** The one exponent real signers use; a large one would cost CPU on every verification. */
export const RSA_PUBLIC_EXPONENT = 65537n

export interface RsaKeyFlaw {
  /** The only flaw is a modulus under the minimum: a JWKS keeps such a key so a token naming it is told `weak_key`. */
  weak: boolean
  reason: string
}

/** What is wrong with an RSA public key of this size and exponent, or null when it is within the limits. */
export function rsaKeyFlaw(bits: number, exponent: bigint): RsaKeyFlaw | null {
  if (exponent !== RSA_PUBLIC_EXPONENT) {
    const shown = exponent < 2n ** 64n ? String(exponent) : 'over 64 bits'
    return { weak: false, reason: `public exponent is ${shown} (only ${RSA_PUBLIC_EXPONENT} is accepted)` }
  }
  if (bits > MAX_RSA_BITS) return { weak: false, reason: `modulus is ${bits} bits (maximum ${MAX_RSA_BITS})` }
  if (bits < MIN_RSA_BITS) return { weak: true, reason: `modulus is ${bits} bits (minimum ${MIN_RSA_BITS})` }
  return null
}
