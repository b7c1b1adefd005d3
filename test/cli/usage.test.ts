// Command-line handling: usage, help and exit status 2 for anything the CLI does not understand.
import t from 'tap'
import { gatehouse } from './fixtures/run-gatehouse.js'

const env = { DATABASE_URL: '/nonexistent/never-opened.db' }

t.test('an unknown command prints usage on stderr and exits 2', async (tt) => {
  const result = await gatehouse(['frobnicate'], { env })
  tt.equal(result.code, 2)
  tt.equal(result.stdout, '')
  tt.match(result.stderr, /^gatehouse: unknown command "frobnicate"\n\nUsage: gatehouse <command> \[options\]/)
  tt.match(result.stderr, /gatehouse partners create --id ID/)

  const subcommand = await gatehouse(['partners', 'frobnicate'], { env })
  tt.equal(subcommand.code, 2)
  tt.match(subcommand.stderr, /^gatehouse: unknown command "partners frobnicate"\n\nUsage:\n {2}gatehouse partners list/)

  const bare = await gatehouse([], { env })
  tt.equal(bare.code, 2)
  tt.match(bare.stderr, /^Usage: gatehouse/)
  tt.equal((await gatehouse(['db'], { env })).code, 2)
})

t.test('help goes to stdout with exit 0', async (tt) => {
  const help = await gatehouse(['--help'], { env })
  tt.equal(help.code, 0)
  tt.match(help.stdout, /^Usage: gatehouse <command> \[options\]/)
  for (const command of ['partners list', 'partners show', 'partners create', 'partners disable', 'api-keys create', 'api-keys revoke', 'admin-tokens create', 'admin-tokens revoke', 'db migrate', 'db backup', 'dev keygen', 'dev jwks', 'dev mint']) {
    tt.match(help.stdout, `gatehouse ${command}`, `usage lists ${command}`)
  }
  const one = await gatehouse(['partners', 'create', '--help'], { env })
  tt.equal(one.code, 0)
  tt.match(one.stdout, /^Usage: gatehouse partners create --id ID --name NAME --issuer ISS/)
})

t.test('bad arguments are one line and exit 2', async (tt) => {
  for (const [args, message] of [
    [['partners', 'list', '--bogus'], /^gatehouse: partners list: Unknown option '--bogus' \(see: gatehouse partners list --help\)\n$/],
    [['partners', 'show'], /^gatehouse: partners show: missing <id> /],
    [['partners', 'show', 'a', 'b'], /^gatehouse: partners show: unexpected argument "b" /],
    [['api-keys', 'revoke', 'acme'], /^gatehouse: api-keys revoke: missing <key-id> /],
    [['partners', 'create', '--id'], /^gatehouse: partners create: Option '--id <value>' argument missing/],
  ] as const) {
    const result = await gatehouse([...args], { env })
    tt.equal(result.code, 2, args.join(' '))
    tt.match(result.stderr, message)
    tt.equal(result.stderr.trimEnd().split('\n').length, 1, 'one line')
  }
})
