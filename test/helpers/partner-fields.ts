// A partner's stored fields for tests that write to a store directly: the fields a test names, and for the rest the API's defaults.
import type { PartnerFields } from '../../src/storage/types.js'

const DEFAULTS = {
  openidConfigurationUrl: null,
  requireIssuedAt: true,
  claimMapping: null,
  requiredClaims: null,
  profileUpdate: 'never',
} as const satisfies Partial<PartnerFields>

type Defaulted = keyof typeof DEFAULTS

export const partnerFields = (fields: Omit<PartnerFields, Defaulted> & Partial<Pick<PartnerFields, Defaulted>>): PartnerFields => ({ ...DEFAULTS, ...fields })
