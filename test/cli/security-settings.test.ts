import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { securityFromConfig } from '../../src/client/security-config.ts';
import { parseProperties } from '../../src/cli/client-properties.ts';
import { resolveClientSettings } from '../../src/cli/connect.ts';
import { closeAll, tempDir } from '../helpers/index.ts';

/** The layers of security settings: profile < env < -X < flags; Kafka/librdkafka key names; the password prompt. */

afterAll(closeAll);
const noPrompt = { interactive: false, ask: () => Promise.reject(new Error('no terminal')) };
const secret = async (s: unknown) => (typeof s === 'function' ? await (s as () => Promise<string>)() : s);

describe('security settings', () => {
  it('infers the protocol from what is given; PLAINTEXT by default', () => {
    expect(resolveClientSettings({}, {}, noPrompt).security).toEqual({ protocol: 'PLAINTEXT' });
    const s = resolveClientSettings({ 'sasl-mechanism': 'scram-sha-512', 'sasl-username': 'bob', 'sasl-password': 'pw' }, {}, noPrompt).security;
    expect(s).toEqual({ protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'pw' } });
    const t = resolveClientSettings({ 'tls-insecure': true, 'sasl-mechanism': 'PLAIN', 'sasl-username': 'a', 'sasl-password': 'p' }, {}, noPrompt).security;
    expect(t.protocol).toBe('SASL_SSL');
    expect(t.tls).toEqual({ verify: false });
  });

  it('flags beat -X, which beats the environment', () => {
    const env = { KSTREAM_SASL_USERNAME: 'env-user', KSTREAM_SASL_PASSWORD: 'env-pw', KSTREAM_SASL_MECHANISM: 'PLAIN', KSTREAM_SECURITY_PROTOCOL: 'sasl_plaintext' };
    const fromEnv = resolveClientSettings({}, env, noPrompt).security;
    expect(fromEnv.sasl).toEqual({ mechanism: 'PLAIN', username: 'env-user', password: 'env-pw' });
    const fromX = resolveClientSettings({ property: ['sasl.username=x-user', 'sasl.mechanisms=SCRAM-SHA-256'] }, env, noPrompt).security;
    expect(fromX.sasl).toEqual({ mechanism: 'SCRAM-SHA-256', username: 'x-user', password: 'env-pw' });
    const fromFlag = resolveClientSettings({ property: ['sasl.username=x-user'], 'sasl-username': 'flag-user' }, env, noPrompt).security;
    expect(fromFlag.sasl).toMatchObject({ username: 'flag-user' });
  });

  it('sasl.jaas.config (Java names) gives user, password and, for PLAIN, the mechanism', () => {
    const p = parseProperties(['security.protocol=SASL_PLAINTEXT', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr;t";']);
    expect(resolveClientSettings({ property: ['security.protocol=SASL_PLAINTEXT', 'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="alice" password="s3cr;t";'] }, {}, noPrompt).security.sasl).toEqual({
      mechanism: 'PLAIN',
      username: 'alice',
      password: 's3cr;t',
    });
    expect(p.saslUsername).toBe('alice');
    expect(() => parseProperties(['sasl.jaas.config=com.sun.security.auth.module.Krb5LoginModule required;'])).toThrow(/login module .* is not supported/);
  });

  it('no password anywhere: asked on a terminal (once), an error naming the ways to give it otherwise', async () => {
    expect(() => resolveClientSettings({ 'sasl-mechanism': 'PLAIN', 'sasl-username': 'alice' }, {}, noPrompt)).toThrow(/no SASL password for alice: give it with KSTREAM_SASL_PASSWORD/);
    let asked = 0;
    const prompt = { interactive: true, ask: async (m: string) => (asked++, expect(m).toBe('SASL password for alice:'), 'typed') };
    const s = resolveClientSettings({ 'sasl-mechanism': 'PLAIN', 'sasl-username': 'alice' }, {}, prompt).security;
    expect(asked).toBe(0);
    const pw = s.sasl && 'password' in s.sasl ? s.sasl.password : undefined;
    expect(await secret(pw)).toBe('typed');
    expect(await secret(pw)).toBe('typed');
    expect(asked).toBe(1);
  });

  it('TLS files are read up front; a certificate needs its key; SASL settings on a non-SASL protocol are an error', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'ca.pem'), 'CA');
    const s = resolveClientSettings({ 'tls-ca': join(dir, 'ca.pem') }, {}, noPrompt).security;
    expect(s).toEqual({ protocol: 'SSL', tls: { ca: Buffer.from('CA') } });
    expect(() => resolveClientSettings({ 'tls-cert': join(dir, 'ca.pem') }, {}, noPrompt)).toThrow(/needs both a certificate and a key/);
    expect(() => resolveClientSettings({ 'security-protocol': 'SSL', 'sasl-mechanism': 'PLAIN', 'sasl-username': 'u' }, {}, noPrompt)).toThrow(/SASL settings are given but security\.protocol is SSL/);
    expect(() => resolveClientSettings({ 'security-protocol': 'SASL_SSL', 'sasl-username': 'u', 'sasl-password': 'p' }, {}, noPrompt)).toThrow(/SASL_SSL needs a SASL mechanism/);
  });

  it('OAUTHBEARER: an unsecured token for the principal (librdkafka or JAAS options)', async () => {
    const s = securityFromConfig({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="dev" unsecuredLoginListClaim_scope=",a,b";' });
    const token = (await secret(s.sasl && 'token' in s.sasl ? s.sasl.token : undefined)) as string;
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: 'dev', scope: ['a', 'b'] });
    expect(claims.exp - claims.iat).toBe(3600);
    expect(token.endsWith('.')).toBe(true);
  });
});
