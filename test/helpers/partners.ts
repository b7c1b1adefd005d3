// Creates partners and API keys through the real admin API.
import type { FastifyInstance } from 'fastify'
import { admin } from './build-app.js'

export interface PartnerSetup {
  id: string
  jwtIssuer?: string
  jwksUrl?: string
  jwtPublicKey?: string
  jwtAudience?: string
  maxTokenLifetimeSeconds?: number
  openidConfigurationUrl?: string
  requireIssuedAt?: boolean
  claimMapping?: Record<string, string>
  requiredClaims?: Record<string, string>
  profileUpdate?: 'never' | 'fillEmpty' | 'overwrite'
}

export async function createPartner(app: FastifyInstance, setup: PartnerSetup): Promise<Record<string, unknown>> {
  const res = await app.inject({
    method: 'POST',
    url: '/admin/partners',
    headers: admin,
    payload: { name: `Partner ${setup.id}`, jwtIssuer: `https://${setup.id}.example`, ...setup },
  })
  if (res.statusCode !== 201) throw new Error(`createPartner ${setup.id}: ${res.statusCode} ${res.body}`)
  return res.json()
}

export async function createApiKey(app: FastifyInstance, partnerId: string): Promise<string> {
  const res = await app.inject({ method: 'POST', url: `/admin/partners/${partnerId}/api-keys`, headers: admin })
  if (res.statusCode !== 201) throw new Error(`createApiKey ${partnerId}: ${res.statusCode} ${res.body}`)
  return res.json().key
}
