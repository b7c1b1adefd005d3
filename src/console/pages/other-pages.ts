// API keys, token check, refusals, audit and users pages, and the sign-in form.
import type { IssuedApiKey } from '../../credentials/issue-api-key.js'
import type { ApiKeyRecord, AuditEntry, PartnerRecord, RefusalRecord, UserRecord } from '../../storage/types.js'
import type { TokenCheckReport } from '../../users/check-token.js'
import { type Html, html } from '../html.js'
import { csrfField, partnerPath, partnerTabs } from '../layout.js'

export function signInPage(csrf: string): Html {
  return html`<form method="post" action="/console/sign-in" class="sign-in">
${csrfField(csrf)}
<div class="field">
  <label for="token">Admin token</label>
  <p class="hint" id="token-hint">The ADMIN_TOKEN or a token from <code>gatehouse admin-tokens create</code>. It is checked once and never stored in the browser.</p>
  <input id="token" name="token" type="password" autocomplete="off" required aria-describedby="token-hint">
</div>
<p><button type="submit">Sign in</button></p>
</form>`
}

/** The freshly issued key: shown here once, never again (only its prefix is stored). */
function issuedKeyDialog(issued: IssuedApiKey): Html {
  return html`<section class="once" role="dialog" aria-labelledby="new-key-heading" aria-describedby="new-key-note">
<h2 id="new-key-heading">New API key ${issued.prefix}</h2>
<p id="new-key-note">Copy it now: it is shown only this once.</p>
<label for="new-key">API key</label>
<input id="new-key" type="text" readonly value="${issued.key}" class="secret">
<button type="button" class="copy" data-copy="new-key" hidden>Copy</button>
<span class="copy-status" role="status"></span>
</section>`
}

export function apiKeysPage(partner: PartnerRecord, keys: ApiKeyRecord[], csrf: string, issued?: IssuedApiKey): Html {
  const rows = keys.map(
    (k) => html`<tr><td><code>${k.prefix}</code></td><td>${k.createdAt}</td><td>${k.revokedAt ?? 'live'}</td><td>${
      k.revokedAt
        ? ''
        : html`<form method="post" action="${partnerPath(partner.id, `/api-keys/${encodeURIComponent(k.id)}/revoke`)}" class="inline">${csrfField(csrf)}<button type="submit" aria-label="Revoke ${k.prefix}">Revoke</button></form>`
    }</td></tr>`,
  )
  return html`${partnerTabs(partner, 'api-keys')}
${issued ? issuedKeyDialog(issued) : ''}
<form method="post" action="${partnerPath(partner.id, '/api-keys')}">${csrfField(csrf)}<button type="submit">Create API key</button></form>
<div class="table-wrap"><table><caption>API keys by prefix</caption>
<thead><tr><th scope="col">Prefix</th><th scope="col">Created</th><th scope="col">Revoked</th><th scope="col">Action</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="4">No API keys</td></tr>`}</tbody></table></div>`
}

export function tokenCheckPage(partner: PartnerRecord, csrf: string, report?: TokenCheckReport): Html {
  const checks = report?.checks.map(
    (c) => html`<tr class="${c.ok ? 'ok' : 'failed'}"><td>${c.name}</td><td>${c.ok ? 'ok' : 'failed'}</td><td class="wrap">${c.detail}</td></tr>`,
  )
  const user = report?.user
  const preview = user
    ? html`<div class="table-wrap"><table class="facts"><caption>User preview (nothing is written)</caption><tbody>
<tr><th scope="row">externalUserId</th><td class="wrap">${user.externalUserId}</td></tr>
<tr><th scope="row">Exists</th><td>${user.exists ? 'yes: the token would update it' : 'no: the token would provision it'}</td></tr>
${Object.entries(user.profile).map(([k, v]) => html`<tr><th scope="row">${k}</th><td class="wrap">${v ?? '—'}</td></tr>`)}
<tr><th scope="row">Dropped claims</th><td class="wrap">${user.droppedClaims.length ? user.droppedClaims.map((d) => html`<span>${d.claim}: ${d.reason}</span> `) : 'none'}</td></tr>
</tbody></table></div>`
    : ''
  return html`${partnerTabs(partner, 'token-check')}
<form method="post" action="${partnerPath(partner.id, '/token-check')}">
${csrfField(csrf)}
<div class="field"><label for="token">Token</label><p class="hint" id="token-hint">Checked as the /me guard would, writing nothing; the token is not kept.</p>
<textarea id="token" name="token" rows="5" required aria-describedby="token-hint"></textarea></div>
<p><button type="submit">Check token</button></p>
</form>
${
  report
    ? html`<section aria-labelledby="result-heading"><h2 id="result-heading">${report.valid ? 'Token accepted' : `Token refused: ${report.code ?? ''}`}</h2>
${report.valid ? '' : html`<p class="detail">${report.detail ?? ''}</p>`}
<div class="table-wrap"><table><caption>Checks</caption><thead><tr><th scope="col">Check</th><th scope="col">Result</th><th scope="col">Detail</th></tr></thead><tbody>${checks}</tbody></table></div>
${preview}</section>`
    : ''
}`
}

export function refusalsPage(partner: PartnerRecord, refusals: RefusalRecord[]): Html {
  const rows = refusals.map(
    (r) => html`<tr><td>${r.at}</td><td>${r.code}</td><td class="wrap">${r.detail}</td><td class="wrap">${r.kid ?? '—'}</td><td class="wrap">${r.sub ?? '—'}</td><td>${r.iat ?? '—'}</td><td>${r.exp ?? '—'}</td><td class="wrap">${r.aud === null ? '—' : JSON.stringify(r.aud)}</td></tr>`,
  )
  return html`${partnerTabs(partner, 'refusals')}
<div class="table-wrap"><table><caption>Recent refused /me tokens, newest first</caption>
<thead><tr><th scope="col">At</th><th scope="col">Code</th><th scope="col">Detail</th><th scope="col">kid</th><th scope="col">sub</th><th scope="col">iat</th><th scope="col">exp</th><th scope="col">aud</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8">No refusals</td></tr>`}</tbody></table></div>`
}

/** `query.limit` is the page size used; `pageSize` the one the admin asked for, kept in the paging links. */
export function auditPage(entries: AuditEntry[], query: { partnerId?: string; limit: number; before?: number; pageSize?: number }, partners: PartnerRecord[]): Html {
  const rows = entries.map(
    (e) => html`<tr><td>${e.id}</td><td>${e.at}</td><td>${e.actor}</td><td>${e.action}</td><td>${e.partnerId ?? '—'}</td><td class="wrap">${e.changedFields.join(', ')}</td></tr>`,
  )
  const older = entries.length === query.limit ? entries.at(-1)!.id : undefined
  const params = (before?: number) => {
    const p = new URLSearchParams()
    if (query.partnerId) p.set('partnerId', query.partnerId)
    if (query.pageSize !== undefined) p.set('limit', String(query.pageSize))
    if (before !== undefined) p.set('before', String(before))
    return `/console/audit?${p.toString()}`
  }
  return html`<form method="get" action="/console/audit" class="filters">
<div class="field"><label for="audit-partner">Partner</label>
<select id="audit-partner" name="partnerId"><option value="">All partners</option>${partners.map(
    (p) => html`<option value="${p.id}"${p.id === query.partnerId ? html` selected` : ''}>${p.id}</option>`,
  )}</select></div>
<p><button type="submit">Filter</button></p>
</form>
<div class="table-wrap"><table><caption>Audit log, newest first</caption>
<thead><tr><th scope="col">Id</th><th scope="col">At</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Partner</th><th scope="col">Changed fields</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="6">No entries</td></tr>`}</tbody></table></div>
<nav aria-label="Audit pages" class="pager">${query.before !== undefined ? html`<a href="${params()}">Newest</a>` : ''} ${older !== undefined ? html`<a href="${params(older)}">Older entries</a>` : ''}</nav>`
}

export function usersPage(partners: PartnerRecord[], query: { partnerId?: string; externalUserId?: string }, csrf: string, user: UserRecord | null | undefined): Html {
  const details = user
    ? html`<div class="table-wrap"><table class="facts"><caption>User ${user.externalUserId}</caption><tbody>
${(['id', 'externalUserId', 'email', 'displayName', 'phone', 'countryCode', 'locale', 'provisionedBy', 'tokensValidAfter', 'createdAt', 'updatedAt'] as const).map(
  (k) => html`<tr><th scope="row">${k}</th><td class="wrap">${user[k] ?? '—'}</td></tr>`,
)}
</tbody></table></div>
<form method="post" action="/console/users/revoke-sessions">${csrfField(csrf)}
<input type="hidden" name="partnerId" value="${user.partnerId}"><input type="hidden" name="externalUserId" value="${user.externalUserId}">
<button type="submit">Revoke sessions</button></form>`
    : user === null
      ? html`<p role="status">No user with this external id at ${query.partnerId ?? ''}.</p>`
      : ''
  return html`<form method="get" action="/console/users" class="filters">
<div class="field"><label for="user-partner">Partner</label>
<select id="user-partner" name="partnerId">${partners.map((p) => html`<option value="${p.id}"${p.id === query.partnerId ? html` selected` : ''}>${p.id}</option>`)}</select></div>
<div class="field"><label for="user-external-id">External user id</label>
<input id="user-external-id" name="externalUserId" type="text" value="${query.externalUserId ?? ''}" required></div>
<p><button type="submit">Look up</button></p>
</form>
${details}`
}
