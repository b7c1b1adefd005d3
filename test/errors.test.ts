// The error registry (src/errors.ts), the reference's tables (docs/reference.md) and the README's error table
// stay in step in both directions: a code missing from the docs fails, and so does a documented code that no
// longer exists.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { ERRORS, TOKEN_ERROR_CODES } from '../src/errors.js'

const read = (path: string) => readFileSync(new URL(path, import.meta.url), 'utf8')

/** The rows of the markdown table that follows `heading`: each row's cells, trimmed. */
function tableAfter(markdown: string, heading: RegExp): string[][] {
  const lines = markdown.split('\n')
  const start = lines.findIndex((line) => heading.test(line))
  if (start < 0) throw new Error(`no ${heading}`)
  const rows: string[][] = []
  let inTable = false
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('|')) {
      inTable = true
      rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()))
    } else if (inTable) break
  }
  // Drop the header row and the |---| separator.
  return rows.slice(2)
}

const codeOf = (cell: string) => /^`([a-z_]+)`$/.exec(cell)?.[1]

const reference = read('../docs/reference.md')
const readme = read('../README.md')

/** code → the status cell, from a "| code | status | when |" table. */
function statusTable(markdown: string, heading: RegExp): Map<string, string> {
  const table = new Map<string, string>()
  for (const row of tableAfter(markdown, heading)) {
    const code = codeOf(row[0] ?? '')
    if (code) table.set(code, row[1] ?? '')
  }
  return table
}

const tokenTable = tableAfter(reference, /^## Token verification/)
/** The code column of the verification table, each code once, in table order. */
const tokenCodesInOrder = [...new Set(tokenTable.map((row) => codeOf(row[row.length - 1] ?? '')).filter((c) => c !== undefined))]

t.test('the reference documents every token code, in the order the checks run, and nothing else', async (tt) => {
  tt.same(tokenCodesInOrder, [...TOKEN_ERROR_CODES])
  for (const code of TOKEN_ERROR_CODES) tt.equal(ERRORS[code].status, 401, `${code} is a 401`)
})

t.test('the reference documents every other code with its status, and no code that does not exist', async (tt) => {
  const documented = statusTable(reference, /^\*\*Errors\*\* everywhere/)
  const others = Object.keys(ERRORS).filter((code) => !(TOKEN_ERROR_CODES as readonly string[]).includes(code))
  tt.same([...documented.keys()].sort(), others.sort(), 'the same codes both ways')
  for (const [code, status] of documented) {
    tt.match(status, new RegExp(`^${ERRORS[code as keyof typeof ERRORS].status}\\b`), `${code} is documented with its status`)
  }
})

t.test('the README error table lists exactly the registry, each with its status', async (tt) => {
  const documented = statusTable(readme, /^## Errors/)
  tt.same([...documented.keys()].sort(), Object.keys(ERRORS).sort(), 'the same codes both ways')
  for (const [code, status] of documented) {
    tt.match(status, new RegExp(`^${ERRORS[code as keyof typeof ERRORS].status}\\b`), `${code} is documented with its status`)
  }
})
