// Partners list, the partner form (create and edit: every field of the record), status and delete controls.
import type { FieldError } from '../../errors.js'
import { MAPPABLE_FIELDS, type PartnerRecord } from '../../storage/types.js'
import type { KeyView } from '../../tokens/issuer-directory.js'
import { type Html, html } from '../html.js'
import { csrfField, partnerPath, partnerTabs } from '../layout.js'
import type { FormValues } from '../partner-form.js'

export type KeySource = 'JWKS' | 'discovery' | 'static'
export type KeyHealth = 'fresh' | 'serving stale' | 'failing' | 'no usable key' | 'not fetched yet'

export function keySource(partner: PartnerRecord): KeySource {
  if (partner.jwtPublicKey !== null) return 'static'
  return partner.openidConfigurationUrl !== null ? 'discovery' : 'JWKS'
}

/** The key view in one word: what an admin scanning the list needs to know first. */
export function keyHealth(view: KeyView | undefined): KeyHealth {
  if (!view) return 'no usable key'
  if (view.source === 'static') return 'fresh'
  const usable = view.keys.some((k) => k.usable)
  if (view.servingStale && usable) return 'serving stale'
  if (view.lastError !== null && !usable) return 'failing'
  if (view.fetchedAt === null && view.lastError === null) return 'not fetched yet'
  return usable ? 'fresh' : 'no usable key'
}

export function partnersList(rows: { partner: PartnerRecord; health: KeyHealth }[]): Html {
  const body = rows.map(
    ({ partner, health }) => html`<tr>
  <td><a href="${partnerPath(partner.id)}">${partner.id}</a></td>
  <td>${partner.name}</td>
  <td><span class="status status-${partner.status}">${partner.status}</span></td>
  <td class="wrap">${partner.jwtIssuer}</td>
  <td>${keySource(partner)}</td>
  <td><span class="health health-${health.replaceAll(' ', '-')}">${health}</span></td>
</tr>`,
  )
  return html`<p><a class="button" href="/console/partners/new">New partner</a></p>
${rows.length === 0 ? html`<p>No partners yet.</p>` : html`<div class="table-wrap"><table>
<caption>Partners, their issuers and key health</caption>
<thead><tr><th scope="col">Id</th><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Issuer</th><th scope="col">Key source</th><th scope="col">Key health</th></tr></thead>
<tbody>${body}</tbody>
</table></div>`}`
}

/** Form field name → the input's id (names with dots are not valid in `#fragment` links everywhere). */
export const fieldId = (name: string) => `field-${name.replaceAll('.', '-')}`

/** The form field a field error's path belongs to (`/claimMapping/email` → `claimMapping.email`). */
export function fieldOfPath(path: string): string | undefined {
  const [first, second] = path.split('/').slice(1)
  if (first === 'claimMapping' && second && (MAPPABLE_FIELDS as readonly string[]).includes(second)) return `claimMapping.${second}`
  if (first === 'claimMapping') return `claimMapping.${MAPPABLE_FIELDS[0]}`
  return first || undefined
}

interface FormState {
  values: FormValues
  errors: FieldError[]
  /** Warnings of the last write (the key URL fetched once), shown beside the URL fields. */
  warnings: string[]
}

function errorsFor(name: string, errors: FieldError[]): Html {
  const mine = errors.filter((e) => fieldOfPath(e.path) === name)
  if (mine.length === 0) return html``
  return html`<p class="field-error" id="${fieldId(name)}-error">${mine.map((e) => html`<span>${e.message}</span> `)}</p>`
}

function described(name: string, errors: FieldError[], hint?: string): Html {
  const ids = [hint ? `${fieldId(name)}-hint` : '', errors.some((e) => fieldOfPath(e.path) === name) ? `${fieldId(name)}-error` : ''].filter(Boolean)
  return ids.length ? html` aria-describedby="${ids.join(' ')}"` : html``
}

function invalid(name: string, errors: FieldError[]): Html {
  return errors.some((e) => fieldOfPath(e.path) === name) ? html` aria-invalid="true"` : html``
}

function textField(state: FormState, name: string, label: string, options: { hint?: string; type?: string; readonly?: boolean; extra?: Html } = {}): Html {
  const id = fieldId(name)
  return html`<div class="field">
  <label for="${id}">${label}</label>
  ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ''}
  ${errorsFor(name, state.errors)}
  <input id="${id}" name="${name}" type="${options.type ?? 'text'}" value="${state.values[name] ?? ''}"${options.readonly ? html` readonly` : ''}${described(name, state.errors, options.hint)}${invalid(name, state.errors)}>
  ${options.extra ?? ''}
</div>`
}

function warningsBox(name: string, warnings: string[]): Html {
  if (warnings.length === 0) return html``
  return html`<div class="warnings" id="${fieldId(name)}-warnings" role="status"><p>Fetched once on save:</p><ul>${warnings.map((w) => html`<li>${w}</li>`)}</ul></div>`
}

/** The partner form; `mode` create posts to the list, edit posts the record's version back (If-Match). */
export function partnerForm(state: FormState, mode: 'create' | 'edit', csrf: string): Html {
  const { values, errors } = state
  const action = mode === 'create' ? '/console/partners' : partnerPath(values.id ?? '')
  const urlWarnings = (name: string) => (values[name] ? warningsBox(name, state.warnings) : html``)
  const profileUpdate = values.profileUpdate ?? 'never'
  const option = (value: string, label: string) => html`<option value="${value}"${profileUpdate === value ? html` selected` : ''}>${label}</option>`
  return html`<form method="post" action="${action}" class="partner-form" novalidate>
${csrfField(csrf)}
${mode === 'edit' ? html`<input type="hidden" name="version" value="${values.version ?? ''}">` : ''}
<fieldset><legend>Partner</legend>
${textField(state, 'id', 'Id', { hint: mode === 'create' ? 'a-z, 0-9 and -, 2–63 characters; cannot change later' : undefined, readonly: mode === 'edit' })}
${textField(state, 'name', 'Name')}
${textField(state, 'jwtIssuer', 'Issuer (iss)')}
${textField(state, 'jwtAudience', 'Audience (aud)', { hint: 'empty: tokens need no audience' })}
${textField(state, 'maxTokenLifetimeSeconds', 'Maximum token lifetime (seconds)', { hint: '60–86400; empty: 3600', type: 'text' })}
<div class="field checkbox">
  ${errorsFor('requireIssuedAt', errors)}
  <input id="${fieldId('requireIssuedAt')}" name="requireIssuedAt" type="checkbox"${values.requireIssuedAt === 'on' ? html` checked` : ''}>
  <label for="${fieldId('requireIssuedAt')}">Require issued-at (iat)</label>
</div>
</fieldset>
<fieldset><legend>Key source (exactly one)</legend>
${textField(state, 'jwksUrl', 'JWKS URL', { extra: urlWarnings('jwksUrl') })}
${textField(state, 'openidConfigurationUrl', 'OpenID discovery URL', { extra: urlWarnings('openidConfigurationUrl') })}
<div class="field">
  <label for="${fieldId('jwtPublicKey')}">Static public key (PEM)</label>
  ${errorsFor('jwtPublicKey', errors)}
  <textarea id="${fieldId('jwtPublicKey')}" name="jwtPublicKey" rows="4"${described('jwtPublicKey', errors)}${invalid('jwtPublicKey', errors)}>${values.jwtPublicKey ?? ''}</textarea>
</div>
</fieldset>
<fieldset><legend>Claim mapping (empty: the standard claim)</legend>
${MAPPABLE_FIELDS.map((f) => textField(state, `claimMapping.${f}`, `${f} from claim`))}
</fieldset>
<fieldset><legend>Required claims and profile policy</legend>
<div class="field">
  <label for="${fieldId('requiredClaims')}">Required claims</label>
  <p class="hint" id="${fieldId('requiredClaims')}-hint">One NAME=VALUE a line; at most 16.</p>
  ${errorsFor('requiredClaims', errors)}
  <textarea id="${fieldId('requiredClaims')}" name="requiredClaims" rows="3"${described('requiredClaims', errors, 'hint')}${invalid('requiredClaims', errors)}>${values.requiredClaims ?? ''}</textarea>
</div>
<div class="field">
  <label for="${fieldId('profileUpdate')}">Profile update of existing users</label>
  ${errorsFor('profileUpdate', errors)}
  <select id="${fieldId('profileUpdate')}" name="profileUpdate">${option('never', 'never')}${option('fillEmpty', 'fill empty fields')}${option('overwrite', 'overwrite')}</select>
</div>
</fieldset>
<p><button type="submit">${mode === 'create' ? 'Create partner' : 'Save changes'}</button></p>
</form>`
}

export function partnerEdit(partner: PartnerRecord, state: FormState, csrf: string): Html {
  const statusForm = html`<form method="post" action="${partnerPath(partner.id, '/status')}" class="inline">
${csrfField(csrf)}<input type="hidden" name="version" value="${partner.version}">
<input type="hidden" name="status" value="${partner.status === 'active' ? 'disabled' : 'active'}">
<button type="submit">${partner.status === 'active' ? 'Disable partner' : 'Enable partner'}</button>
</form>`
  const deleteForm =
    partner.status === 'disabled'
      ? html`<form method="post" action="${partnerPath(partner.id, '/delete')}" class="danger" data-confirm="Delete partner ${partner.id} with its users and API keys?">
${csrfField(csrf)}<input type="hidden" name="version" value="${partner.version}">
<div class="field checkbox"><input id="confirm-delete" name="confirm" type="checkbox" required><label for="confirm-delete">I understand this deletes ${partner.id} with its users and API keys</label></div>
<button type="submit">Delete partner</button>
</form>`
      : html`<p class="hint">Disable the partner to delete it.</p>`
  return html`${partnerTabs(partner, 'partner')}
<p>Status: <span class="status status-${partner.status}">${partner.status}</span> · version ${partner.version} · updated ${partner.updatedAt}</p>
<div class="actions">${statusForm}</div>
${partnerForm(state, 'edit', csrf)}
<section aria-labelledby="delete-heading"><h2 id="delete-heading">Delete</h2>${deleteForm}</section>`
}

export function keysPage(partner: PartnerRecord, view: KeyView, csrf: string): Html {
  const jwks = view.source === 'jwks' ? view : undefined
  const row = (label: string, value: unknown) => html`<tr><th scope="row">${label}</th><td class="wrap">${value === null || value === undefined ? '—' : String(value)}</td></tr>`
  const keys = view.keys.map(
    (k) => html`<tr><td class="wrap">${k.kid ?? '(no kid)'}</td><td>${k.alg ?? '—'}</td><td>${k.bits ?? '—'}</td><td>${k.usable ? 'usable' : 'unusable'}</td><td>${k.reason ?? '—'}</td><td>${k.lastVerifiedAt ?? 'never'}</td></tr>`,
  )
  return html`${partnerTabs(partner, 'keys')}
<div class="table-wrap"><table class="facts"><caption>Key source</caption><tbody>
${row('Source', keySource(partner))}
${row('Health', keyHealth(view))}
${jwks ? html`${row('JWKS URL', jwks.jwksUrl)}${row('Discovery URL', jwks.openidConfigurationUrl)}${row('Fetched at', jwks.fetchedAt)}${row('Fresh until', jwks.freshUntil)}${row('Serving stale', jwks.servingStale ? 'yes' : 'no')}${row('Last error', jwks.lastError)}${row('Cooling down until', jwks.coolingDownUntil)}` : ''}
</tbody></table></div>
<div class="table-wrap"><table><caption>Keys</caption>
<thead><tr><th scope="col">kid</th><th scope="col">alg</th><th scope="col">Bits</th><th scope="col">Usable</th><th scope="col">Reason</th><th scope="col">Last verified</th></tr></thead>
<tbody>${keys.length ? keys : html`<tr><td colspan="6">No keys</td></tr>`}</tbody></table></div>
${jwks ? html`<form method="post" action="${partnerPath(partner.id, '/keys/refresh')}">${csrfField(csrf)}<button type="submit">Refresh keys now</button></form>` : ''}`
}
