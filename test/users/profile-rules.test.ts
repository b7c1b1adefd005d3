// The profile field rules: what each accepts, and the details a refused value is answered with.
import t from 'tap'
import { CountryCodeSchema, LocaleSchema } from '../../src/users/profile-rules.js'

const issue = (result: { success: boolean; error?: { issues: { message: string }[] } }) => result.error?.issues[0]?.message

t.test('a country code is two letters, answered upper-case; anything else says what it must be', async (tt) => {
  tt.equal(CountryCodeSchema.parse('de'), 'DE')
  tt.equal(issue(CountryCodeSchema.safeParse('DEU')), 'must be two letters (ISO 3166-1 alpha-2)')
  tt.equal(issue(CountryCodeSchema.safeParse('1a')), 'must be two letters (ISO 3166-1 alpha-2)')
})

t.test('a locale is a BCP 47-like tag; anything else says what it must be', async (tt) => {
  for (const ok of ['en', 'pt-BR', 'zh-Hant-TW']) tt.equal(LocaleSchema.parse(ok), ok)
  tt.equal(issue(LocaleSchema.safeParse('english_US')), 'must be a BCP 47 language tag such as en or pt-BR')
})
