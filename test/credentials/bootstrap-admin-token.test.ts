// The first-start admin token is shown on a terminal only; otherwise it goes to a file only its owner can read.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import t from 'tap'
import { bootstrapTokenFile, handOverBootstrapToken } from '../../src/credentials/bootstrap-admin-token.js'

const TOKEN = 'gh_admin_bootstrap-test-token'

function tempDir(t: { teardown(fn: () => unknown): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bootstrap-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function recorder(isTTY: boolean) {
  const written: string[] = []
  const logged: { fields: { file: string }; message: string }[] = []
  return {
    written,
    logged,
    terminal: { isTTY, write: (text: string) => written.push(text) },
    log: { warn: (fields: { file: string }, message: string) => logged.push({ fields, message }) },
  }
}

t.test('on a terminal the token is shown there, and no file is written', async (tt) => {
  const file = join(tempDir(tt), 'admin-token')
  const r = recorder(true)
  handOverBootstrapToken(TOKEN, { terminal: r.terminal, file, log: r.log })
  tt.ok(r.written.join('').includes(TOKEN))
  tt.same(r.logged, [])
  tt.equal(statSync(file, { throwIfNoEntry: false }), undefined)
})

t.test('off a terminal the token goes to a 0600 file, and only the path is logged', async (tt) => {
  const file = join(tempDir(tt), 'nested', 'admin-token')
  const r = recorder(false)
  handOverBootstrapToken(TOKEN, { terminal: r.terminal, file, log: r.log })
  tt.same(r.written, [], 'nothing on standard output')
  tt.equal(readFileSync(file, 'utf8'), `${TOKEN}\n`)
  tt.equal(statSync(file).mode & 0o777, 0o600)
  tt.equal(statSync(join(file, '..')).mode & 0o777, 0o700, 'a directory it creates is the owner’s only')
  tt.equal(r.logged.length, 1)
  tt.same(r.logged[0]!.fields, { file })
  tt.match(r.logged[0]!.message, /ADMIN_TOKEN/, 'the warning tells the operator why a token was created')
  tt.notOk(JSON.stringify(r.logged).includes(TOKEN), 'the log line does not carry the token')
})

t.test('writing the file leaves no descriptor open', { skip: process.platform === 'linux' ? false : 'counts /proc/self/fd, Linux only' }, async (tt) => {
  const dir = tempDir(tt)
  const open = () => readdirSync('/proc/self/fd').length
  const before = open()
  for (let i = 0; i < 5; i++) handOverBootstrapToken(TOKEN, { ...recorder(false), file: join(dir, 'admin-token') })
  tt.equal(open(), before)
})

t.test('a stale file readable by others is replaced by an owner-only one', async (tt) => {
  const file = join(tempDir(tt), 'admin-token')
  writeFileSync(file, 'gh_admin_old\n', { mode: 0o644 })
  const r = recorder(false)
  handOverBootstrapToken(TOKEN, { terminal: r.terminal, file, log: r.log })
  tt.equal(readFileSync(file, 'utf8'), `${TOKEN}\n`)
  tt.equal(statSync(file).mode & 0o777, 0o600)
})

t.test('a symlink planted at the path is replaced, never followed', async (tt) => {
  const dir = tempDir(tt)
  const target = join(dir, 'elsewhere')
  writeFileSync(target, 'untouched', { mode: 0o644 })
  const file = join(dir, 'admin-token')
  symlinkSync(target, file)
  const r = recorder(false)
  handOverBootstrapToken(TOKEN, { terminal: r.terminal, file, log: r.log })
  tt.equal(readFileSync(target, 'utf8'), 'untouched', 'the link target is not written')
  tt.notOk(lstatSync(file).isSymbolicLink())
  tt.equal(statSync(file).mode & 0o777, 0o600)
})

t.test('the file sits beside the SQLite database, else in ./data', async (tt) => {
  tt.equal(bootstrapTokenFile({ kind: 'sqlite', path: '/var/lib/gatehouse/gatehouse.db' }), '/var/lib/gatehouse/admin-token')
  tt.equal(bootstrapTokenFile({ kind: 'sqlite', path: './data/gatehouse.db' }), resolve('data/admin-token'))
  tt.equal(bootstrapTokenFile({ kind: 'sqlite', path: ':memory:' }), resolve('data/admin-token'))
  tt.equal(bootstrapTokenFile({ kind: 'postgres', url: 'postgres://db/gatehouse' }), resolve('data/admin-token'))
})
