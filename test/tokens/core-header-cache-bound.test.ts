// decodeToken's parsed-header cache holds 256 headers at most: full, it is emptied before the next one is kept.
// Its own file, so the cache starts empty: a header's object stays the same while it is cached and is new after.
import t from 'tap'
import { decodeToken } from '../../src/tokens/decode-token.js'

const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
const headerOf = (kid: string) => decodeToken(`${enc({ alg: 'RS256', kid })}.${enc({ sub: 'u' })}.c2ln`).header

t.test('the cache keeps 256 headers, then starts over', async (tt) => {
  const first = headerOf('first')
  tt.equal(headerOf('first'), first, 'a cached header is the same object')
  for (let i = 1; i < 256; i++) headerOf(`other-${i}`)
  tt.equal(headerOf('first'), first, 'with 256 headers held, the first is still cached')
  headerOf('the-257th')
  const again = headerOf('first')
  tt.not(again, first, 'the 257th header emptied the cache: the first is parsed anew')
  tt.same(again, first, 'to the same value')
  tt.equal(headerOf('first'), again, 'and cached again')
})
