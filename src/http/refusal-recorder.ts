// The refusals feed's writer: /me refusals of a known partner's tokens, sampled so a flood of bad tokens costs a bounded number of writes.
import { textFlaw } from '../storage/storable-text.js'
import type { RefusalRecord, RefusalStore } from '../storage/types.js'
import { decodeToken } from '../tokens/decode-token.js'

/**
 * Beyond the first refusal of each code in a minute, at most this many refusals a second are written per
 * partner and instance (a token bucket holding as many): a flood of N bad tokens costs at most
 * `codes + REFUSALS_PER_SECOND × (1 + seconds)` writes, whatever N.
 */
export const REFUSALS_PER_SECOND = 2

export type RefusalRecordOutcome = 'written' | 'sampled_out' | 'failed'

export interface RefusalRecorder {
  /** Decides, and writes in the background: never blocks the response and never throws. */
  record(partnerId: string, refusal: { code: string; detail: string; token: string; userIdClaim: string }): void
  /** Resolves when every write started so far has finished (close waits on it before the store closes). */
  settled(): Promise<void>
}

export interface RefusalRecorderOptions {
  store: RefusalStore
  /** Milliseconds since the epoch. */
  now: () => number
  onOutcome: (outcome: RefusalRecordOutcome) => void
  onError: (err: unknown, partnerId: string) => void
}

interface PartnerSampling {
  minute: number
  /** Codes already written this minute. */
  codes: Set<string>
  /** Token bucket for the rest: refilled at REFUSALS_PER_SECOND, holding at most as many. */
  tokens: number
  refilledAt: number
}

const MINUTE_MS = 60_000

/** A string the databases can hold exactly (the token's values are untrusted), or null. */
const storable = (v: unknown): string | null => (typeof v === 'string' && textFlaw(v) === null ? v : null)
/**
 * Details quote token values: what a database cannot hold (an unpaired surrogate, NUL) becomes U+FFFD rather
 * than losing the refusal. A UTF-8 round trip replaces unpaired surrogates.
 */
const storableText = (s: string): string => (textFlaw(s) === null ? s : Buffer.from(s, 'utf8').toString('utf8').replaceAll('\u0000', '\ufffd'))
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function audience(v: unknown): string | string[] | null {
  if (Array.isArray(v)) {
    const items = v.map(storable)
    return items.every((x) => x !== null) ? (items as string[]) : null
  }
  return storable(v)
}

/** What the feed shows of a refused token: the claims as it carried them, never the token or its signature. */
export function refusalFromToken(token: string, userIdClaim: string, code: string, detail: string, at: string): RefusalRecord {
  let header: Record<string, unknown> = {}
  let payload: Record<string, unknown> = {}
  try {
    ;({ header, payload } = decodeToken(token))
  } catch {
    // An undecodable token leaves every value null.
  }
  return {
    at,
    code,
    detail: storableText(detail),
    kid: storable(header.kid),
    sub: storable(payload[userIdClaim]),
    iat: finite(payload.iat),
    exp: finite(payload.exp),
    aud: audience(payload.aud),
  }
}

export function createRefusalRecorder(options: RefusalRecorderOptions): RefusalRecorder {
  // One entry per partner that had a refusal: bounded by the partners this instance has known.
  const sampling = new Map<string, PartnerSampling>()
  const inFlight = new Set<Promise<void>>()

  function admit(partnerId: string, code: string, now: number): boolean {
    const minute = Math.floor(now / MINUTE_MS)
    let state = sampling.get(partnerId)
    if (!state) sampling.set(partnerId, (state = { minute, codes: new Set(), tokens: REFUSALS_PER_SECOND, refilledAt: now }))
    if (state.minute !== minute) {
      state.minute = minute
      state.codes.clear()
    }
    // The first refusal of each code in any minute is always kept, so a partner sees every kind of failure.
    if (!state.codes.has(code)) {
      state.codes.add(code)
      return true
    }
    state.tokens = Math.min(REFUSALS_PER_SECOND, state.tokens + ((now - state.refilledAt) / 1000) * REFUSALS_PER_SECOND)
    state.refilledAt = now
    if (state.tokens < 1) return false
    state.tokens -= 1
    return true
  }

  return {
    record(partnerId, { code, detail, token, userIdClaim }) {
      const now = options.now()
      if (!admit(partnerId, code, now)) {
        options.onOutcome('sampled_out')
        return
      }
      const refusal = refusalFromToken(token, userIdClaim, code, detail, new Date(now).toISOString())
      const write = options.store.record(partnerId, refusal).then(
        () => options.onOutcome('written'),
        (err: unknown) => {
          options.onOutcome('failed')
          options.onError(err, partnerId)
        },
      )
      inFlight.add(write)
      void write.finally(() => inFlight.delete(write))
    },
    async settled() {
      await Promise.all(inFlight)
    },
  }
}
