// The console's signing secret in both stores: insert if absent then read (concurrent starts agree), replace.
import t, { type Test } from 'tap'
import { openStore } from '../../src/storage/index.js'
import type { Store } from '../../src/storage/types.js'
import { tempDbPath } from '../helpers/build-app.js'
import { freshSchema, postgresOnly } from '../helpers/postgres.js'

const backends: { name: string; skip: string | false; open(tt: Test): Promise<Store[]> }[] = [
  {
    name: 'sqlite',
    skip: false,
    async open(tt) {
      const path = tempDbPath(tt)
      const stores = [await openStore({ kind: 'sqlite', path }), await openStore({ kind: 'sqlite', path })]
      tt.teardown(() => Promise.all(stores.map((s) => s.close())))
      return stores
    },
  },
  {
    name: 'postgres',
    ...postgresOnly(),
    async open(tt) {
      const { url } = await freshSchema(tt)
      const stores = [await openStore({ kind: 'postgres', url }), await openStore({ kind: 'postgres', url })]
      tt.teardown(() => Promise.all(stores.map((s) => s.close())))
      return stores
    },
  },
]

for (const backend of backends) {
  t.test(`${backend.name}: two instances starting together keep the first secret; replace changes it for both`, { skip: backend.skip }, async (tt) => {
    const [a, b] = await backend.open(tt)
    tt.equal(await a!.consoleSecrets.get(), null)
    const [first, second] = await Promise.all([a!.consoleSecrets.ensure('secret-a'), b!.consoleSecrets.ensure('secret-b')])
    tt.equal(first, second, 'both instances read the same secret')
    tt.ok(first === 'secret-a' || first === 'secret-b')
    tt.equal(await a!.consoleSecrets.ensure('secret-c'), first, 'a later start keeps the stored secret')
    await b!.consoleSecrets.replace('rotated')
    tt.equal(await a!.consoleSecrets.get(), 'rotated')
    tt.equal(await a!.consoleSecrets.ensure('secret-d'), 'rotated')
  })
}
