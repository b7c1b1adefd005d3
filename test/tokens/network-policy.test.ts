// JWKS URL rules and the blocked address ranges, including IPv4-mapped IPv6 spellings.
import t from 'tap'
import { checkJwksUrl, isBlockedAddress } from '../../src/tokens/network-policy.js'

t.test('blocked address ranges', async (tt) => {
  const blocked = [
    '127.0.0.1',
    '127.255.255.254',
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.169.254',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'febf::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::FFFF:10.0.0.1',
    '::ffff:7f00:1', // ::ffff:127.0.0.1 as URL parsing spells it
    '0:0:0:0:0:ffff:a9fe:a9fe', // 169.254.169.254
    '64:ff9b::7f00:1',
    'fe80::1%eth0',
    'not an ip',
    '',
  ]
  for (const ip of blocked) tt.equal(isBlockedAddress(ip), true, `${ip} blocked`)
  const allowed = [
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '100.63.255.255',
    '11.0.0.1',
    '2001:4860:4860::8888',
    '::ffff:8.8.8.8',
    '2606:4700::1111',
  ]
  for (const ip of allowed) tt.equal(isBlockedAddress(ip), false, `${ip} allowed`)
})

t.test('checkJwksUrl without private network', async (tt) => {
  const ok = [
    'https://example.com/jwks.json',
    'https://8.8.8.8/keys',
    'https://[2001:4860:4860::8888]/keys',
    'https://auth.example.com:8443/.well-known/jwks.json',
  ]
  for (const url of ok) tt.equal(checkJwksUrl(url, false), null, `${url} accepted`)
  const refused = [
    '/relative/jwks.json',
    'example.com/jwks.json',
    '',
    'http://example.com/jwks.json',
    'ftp://example.com/jwks.json',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://user:secret@example.com/jwks.json',
    'https://user@example.com/jwks.json',
    'https://:pw@example.com/jwks.json',
    'https://localhost/jwks.json',
    'https://LOCALHOST./jwks.json',
    'https://api.localhost/jwks.json',
    'https://127.0.0.1/jwks.json',
    'https://127.1/jwks.json', // the URL parser normalises it to 127.0.0.1
    'https://0x7f000001/jwks.json',
    'https://10.1.2.3/jwks.json',
    'https://169.254.169.254/latest/meta-data',
    'https://[::1]/jwks.json',
    'https://[::ffff:127.0.0.1]/jwks.json',
    'https://[fd00::1]/jwks.json',
  ]
  for (const url of refused) {
    const reason = checkJwksUrl(url, false)
    tt.type(reason, 'string', `${url} refused`)
  }
  tt.notMatch(checkJwksUrl('https://user:secret@example.com/jwks.json', false) ?? '', /secret/, 'the password is not echoed')
  tt.match(checkJwksUrl('https://10.1.2.3/jwks.json', false) ?? '', /10\.1\.2\.3/, 'the host is named')
})

t.test('checkJwksUrl with private network allowed', async (tt) => {
  const ok = ['http://127.0.0.1:8080/jwks.json', 'http://localhost:3000/jwks.json', 'https://10.0.0.5/keys', 'http://[::1]:9/keys']
  for (const url of ok) {
    tt.equal(checkJwksUrl(url, true), null, `${url} accepted`)
  }
  for (const url of ['ftp://127.0.0.1/keys', 'file:///keys.json', 'http://u:p@127.0.0.1/keys', 'not a url']) {
    tt.type(checkJwksUrl(url, true), 'string', `${url} refused`)
  }
})
