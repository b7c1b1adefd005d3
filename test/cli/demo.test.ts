// `npm run demo` end to end: exit 0, JIT provisioning and the failing token check in the transcript.
import { spawn } from 'node:child_process'
import t from 'tap'
import { cleanEnv, ROOT } from './fixtures/run-gatehouse.js'

t.test('the demo runs every step against a real Gatehouse and exits 0', async (tt) => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts'], { cwd: ROOT, env: cleanEnv({}), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => (stdout += d))
  child.stderr.on('data', (d) => (stderr += d))
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000)
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)))
  clearTimeout(timer)

  tt.equal(code, 0, stderr)
  tt.equal(stderr, '', 'nothing on stderr')
  tt.match(stdout, /\$ curl -sS -X POST "\$GH\/admin\/partners"/, 'each step shows its curl command')
  tt.match(stdout, /"externalUserId": "user-42",[\s\S]*"provisionedBy": "jit"/, 'GET /me provisions user-42 just in time')
  tt.match(stdout, /"code": "token_expired"/, 'the token check names the failure')
  tt.match(stdout, /✗ expiry\s+expired \d+ s ago/, 'and shows the failing check with its detail')
  tt.match(stdout, /gatehouse_jit_provisions_total 1/, 'metrics highlights at the end')
  tt.match(stdout, /Demo complete/)
})
