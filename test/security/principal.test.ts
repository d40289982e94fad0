import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { escapeRfc2253, SslPrincipalMapper, subjectRfc2253, tlsPrincipal } from '../../src/security/principal.ts';
import { createCertificateAuthority, issueCertificate } from '../../src/security/self-signed.ts';

describe('certificate subject as RFC 2253 (Java X500Principal order: last RDN first)', () => {
  const ca = createCertificateAuthority('test CA');
  it('orders, escapes and names attributes as Java does', () => {
    const c = issueCertificate(ca, {
      commonName: 'alice',
      subject: [{ shortName: 'OU', value: 'eng, ops' }, { shortName: 'O', value: 'Acme+Co' }, { shortName: 'C', value: 'US' }],
    });
    expect(subjectRfc2253(new X509Certificate(c.cert).raw)).toBe('C=US,O=Acme\\+Co,OU=eng\\, ops,CN=alice');
  });
  it('tlsPrincipal: User:<DN>, ANONYMOUS without a certificate', () => {
    const c = issueCertificate(ca, { commonName: 'svc' });
    expect(tlsPrincipal(new X509Certificate(c.cert).raw, new SslPrincipalMapper('DEFAULT'))).toBe('User:CN=svc');
    expect(tlsPrincipal(null, new SslPrincipalMapper('DEFAULT'))).toBe('User:ANONYMOUS');
  });
  it('escapes leading # and space, trailing space', () => {
    expect(escapeRfc2253('#x')).toBe('\\#x');
    expect(escapeRfc2253(' x ')).toBe('\\ x\\ ');
    expect(escapeRfc2253('a"b;c<d>e\\f')).toBe('a\\"b\\;c\\<d\\>e\\\\f');
  });
});

// Cases from Kafka's SslPrincipalMapperTest.
describe('ssl.principal.mapping.rules', () => {
  it('RULE with back-references, lower/upper case, first match wins, DEFAULT fallback', () => {
    const m = new SslPrincipalMapper('RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/,RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L,RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U,RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U,DEFAULT');
    expect(m.name('CN=Duke,OU=ServiceUsers,O=Org,C=US')).toBe('Duke');
    expect(m.name('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US')).toBe('duke@sme');
    expect(m.name('cn=duke,ou=sme,dc=mycp,dc=com')).toBe('DUKE@SME');
    expect(m.name('cN=duke,OU=JavaSoft,O=Sun Microsystems')).toBe('DUKE');
    expect(m.name('OU=JavaSoft,O=Sun Microsystems,C=US')).toBe('OU=JavaSoft,O=Sun Microsystems,C=US');
  });
  it('no rule applies: an error naming the DN', () => {
    expect(() => new SslPrincipalMapper('RULE:^CN=(.*)$/$1/').name('OU=x')).toThrow(/No rules apply to OU=x/);
  });
  it('invalid rules are refused', () => {
    for (const bad of ['DEFAULTS', 'RULE:/', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/L', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/U', 'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU']) {
      expect(() => new SslPrincipalMapper(bad), bad).toThrow();
    }
  });
});
