// The collaborators every route reaches through `app.services`, decorated once in app.ts.
import type { Config } from '../config.js'
import type { PartnerService } from '../partners/partner-service.js'
import type { Store } from '../storage/types.js'
import type { IssuerDirectory } from '../tokens/issuer-directory.js'
import type { TokenVerifier } from '../tokens/token-verifier.js'
import type { VerifyOptions } from '../tokens/verify-partner-token.js'
import type { AuthFailureLimiter } from './auth-failure-limiter.js'
import type { Metrics } from './metrics.js'
import type { RefusalRecorder } from './refusal-recorder.js'

export interface Services {
  config: Config
  store: Store
  directory: IssuerDirectory
  partners: PartnerService
  verifier: TokenVerifier
  /** The options the verifier runs with, for the token-check report. */
  verifyOptions: VerifyOptions
  metrics: Metrics
  authFailures: AuthFailureLimiter
  /** Writes sampled /me refusals to the partners' refusals feeds. */
  refusals: RefusalRecorder
  now: () => number
}

declare module 'fastify' {
  interface FastifyInstance {
    services: Services
  }
}
