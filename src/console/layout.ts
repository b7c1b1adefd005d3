// The console's page shell: head with the service's own CSS and JS, navigation, the error summary, the partner tabs.
import type { FieldError } from '../errors.js'
import type { PartnerRecord } from '../storage/types.js'
import { type Html, html } from './html.js'

export interface PageProblem {
  code: string
  detail: string
  errors?: FieldError[]
}

export interface PageOptions {
  title: string
  body: Html
  /** The signed-in actor; absent on the sign-in page (no navigation). */
  actor?: string
  csrf: string
  problem?: PageProblem
  /** Field error path → the id of the input it belongs to, so the summary links to the field. */
  fieldIds?: (path: string) => string | undefined
}

/** The hidden CSRF field every console form carries. */
export const csrfField = (csrf: string) => html`<input type="hidden" name="_csrf" value="${csrf}">`

/** A problem as the admin sees it: its code, its detail, and each field error (linked to its field when known). */
export function problemSummary(problem: PageProblem | undefined, fieldIds?: (path: string) => string | undefined): Html {
  if (!problem) return html``
  const items = (problem.errors ?? []).map((e) => {
    const id = fieldIds?.(e.path)
    return html`<li>${id ? html`<a href="#${id}">${e.path}: ${e.message}</a>` : html`${e.path}: ${e.message}`}</li>`
  })
  return html`<div class="error-summary" role="alert" tabindex="-1" id="problem">
  <h2>${problem.code}</h2>
  <p class="detail">${problem.detail}</p>
  ${items.length ? html`<ul>${items}</ul>` : ''}
</div>`
}

export function page(options: PageOptions): string {
  const nav = options.actor
    ? html`<nav aria-label="Console">
  <ul>
    <li><a href="/console/partners">Partners</a></li>
    <li><a href="/console/audit">Audit</a></li>
    <li><a href="/console/users">Users</a></li>
  </ul>
  <form method="post" action="/console/sign-out" class="inline">${csrfField(options.csrf)}<span class="actor">${options.actor}</span> <button type="submit">Sign out</button></form>
</nav>`
    : ''
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · Gatehouse console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header><p class="brand">Gatehouse console</p>${nav}</header>
<main id="main">
<h1>${options.title}</h1>
${problemSummary(options.problem, options.fieldIds)}
${options.body}
</main>
</body>
</html>
`.text
}

export type PartnerTab = 'partner' | 'keys' | 'api-keys' | 'token-check' | 'refusals'

const TABS: [PartnerTab, string, string][] = [
  ['partner', 'Details', ''],
  ['keys', 'Keys', '/keys'],
  ['api-keys', 'API keys', '/api-keys'],
  ['token-check', 'Token check', '/token-check'],
  ['refusals', 'Refusals', '/refusals'],
]

export const partnerPath = (id: string, suffix = '') => `/console/partners/${encodeURIComponent(id)}${suffix}`

/** The tabs of one partner's pages; the current one is marked for assistive technology. */
export function partnerTabs(partner: Pick<PartnerRecord, 'id' | 'status'>, current: PartnerTab): Html {
  const links = TABS.map(
    ([tab, label, suffix]) => html`<li><a href="${partnerPath(partner.id, suffix)}"${tab === current ? html` aria-current="page"` : ''}>${label}</a></li>`,
  )
  return html`<nav aria-label="Partner ${partner.id}" class="tabs"><ul>${links}</ul></nav>`
}
