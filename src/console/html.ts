// The console's one escaping helper: `html` templates escape every interpolated value unless it is itself
// markup built by `html`, so no page can interpolate unescaped text by accident.

const SAFE = Symbol('safe html')

/** Markup produced by `html` (or `raw` for constant strings): interpolating it does not escape it again. */
export interface Html {
  readonly [SAFE]: true
  readonly text: string
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

const isHtml = (value: unknown): value is Html => typeof value === 'object' && value !== null && SAFE in value

/** A value as markup: Html as is, arrays joined, null/undefined/false as nothing, anything else escaped. */
function render(value: unknown): string {
  if (value === null || value === undefined || value === false) return ''
  if (isHtml(value)) return value.text
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let text = strings[0]!
  values.forEach((value, i) => {
    text += render(value) + strings[i + 1]!
  })
  return { [SAFE]: true, text }
}

/** A constant string of markup written in the source (never data). */
export const raw = (text: string): Html => ({ [SAFE]: true, text })
