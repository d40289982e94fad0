/**
 * kstream's own client against secured listeners: TLS (CA, mTLS, insecure), SASL PLAIN / SCRAM-SHA-256 /
 * SCRAM-SHA-512 / OAUTHBEARER over SASL_PLAINTEXT and SASL_SSL, KIP-368 re-authentication, and the
 * errors a mismatch gives — each a clear client error and one broker log line.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import type { ClientSecurity } from '../../src/client/security.ts';
import { unsecuredJws } from '../../src/security/oauthbearer-client.ts';
import { closeAll, startTestBroker, waitFor, type TestBroker } from '../helpers/index.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';
import { createScramUser } from './scram-users.ts';

let pki: TestPki;
let b: TestBroker;
const logLines: string[] = [];
const port = (name: string) => b.broker.listeners.find((l) => l.name === name)!.address.port;

beforeAll(async () => {
  pki = await makePki();
  const keep = (m: string) => void logLines.push(m);
  b = await startTestBroker({ config: { ...fourListeners(pki), 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512' }, logger: { debug: keep, info: keep, warn: keep, error: keep } });
  expect((await createScramUser(port('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-256')).results[0]!.errorCode).toBe(0);
  expect((await createScramUser(port('PLAINTEXT'), 'carol', 'carol-secret', 'SCRAM-SHA-512')).results[0]!.errorCode).toBe(0);
  const plain = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: port('PLAINTEXT') }] });
  await new Admin(plain).createTopic('sec-topic');
  await plain.close();
}, 60_000);
afterAll(closeAll);

async function topicsVia(listener: string, security: ClientSecurity): Promise<string[]> {
  const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: port(listener) }], security, connectTimeoutMs: 5000, requestTimeoutMs: 5000 });
  try {
    return (await new Admin(cluster).listTopics()).map((t) => t.name);
  } finally {
    await cluster.close();
  }
}

/** Exactly `n` broker log lines match (waiting for them to be written first). */
async function expectLogged(re: RegExp, n: number): Promise<void> {
  const count = () => logLines.filter((l) => re.test(l)).length;
  await waitFor(`${n} broker log line(s) matching ${re}`, () => count() >= n, 10_000);
  expect(count(), logLines.join('\n')).toBe(n);
}

const ca = () => readFileSync(pki.caFile);

describe('our client against secured listeners', () => {
  it('SASL_PLAINTEXT with PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    for (const sasl of [
      { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' },
      { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' },
      { mechanism: 'SCRAM-SHA-512', username: 'carol', password: 'carol-secret' },
    ] as const) {
      expect(await topicsVia('SASL_PLAINTEXT', { protocol: 'SASL_PLAINTEXT', sasl })).toContain('sec-topic');
    }
  });

  it('SASL_SSL with SCRAM and PLAIN, the CA given', async () => {
    expect(await topicsVia('SASL_SSL', { protocol: 'SASL_SSL', tls: { ca: ca() }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' } })).toContain('sec-topic');
    expect(await topicsVia('SASL_SSL', { protocol: 'SASL_SSL', tls: { ca: ca() }, sasl: { mechanism: 'PLAIN', username: 'alice', password: async () => 'alice-secret' } })).toContain('sec-topic');
  });

  it('SSL with a client certificate (mTLS); without one a clear error', async () => {
    expect(await topicsVia('SSL', { protocol: 'SSL', tls: { ca: ca(), cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) } })).toContain('sec-topic');
    logLines.length = 0;
    await expect(topicsVia('SSL', { protocol: 'SSL', tls: { ca: ca() } })).rejects.toThrow(/requires a client certificate|client certificate/);
    await expectLogged(/TLS handshake with 127\.0\.0\.1:\d+ on listener SSL failed/, 1);
  });

  it('an untrusted broker certificate: a clear error; --tls-insecure skips the check', async () => {
    await expect(topicsVia('SASL_SSL', { protocol: 'SASL_SSL', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } })).rejects.toThrow(/not trusted .*--tls-ca/);
    expect(await topicsVia('SASL_SSL', { protocol: 'SASL_SSL', tls: { verify: false }, sasl: { mechanism: 'PLAIN', username: 'alice', password: 'alice-secret' } })).toContain('sec-topic');
  });

  it('wrong password: SASL_AUTHENTICATION_FAILED with the broker message; one broker log line without the password', async () => {
    logLines.length = 0;
    await expect(topicsVia('SASL_SSL', { protocol: 'SASL_SSL', tls: { ca: ca() }, sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'wrong-pw-9' } })).rejects.toThrow(
      /SASL authentication with 127\.0\.0\.1:\d+ as bob with SASL mechanism SCRAM-SHA-256: SASL_AUTHENTICATION_FAILED \(Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256\)/,
    );
    await expect(topicsVia('SASL_PLAINTEXT', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'wrong-pw-9' } })).rejects.toThrow(/SASL_AUTHENTICATION_FAILED \(Authentication failed: Invalid username or password\)/);
    await expectLogged(/failed authentication/, 2);
    expect(logLines.join('\n')).not.toContain('wrong-pw-9');
  });

  it('a mechanism the listener does not enable: UNSUPPORTED_SASL_MECHANISM naming the enabled ones', async () => {
    logLines.length = 0;
    await expect(topicsVia('SASL_PLAINTEXT', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'OAUTHBEARER', token: unsecuredJws({ principal: 'dev' }) } })).rejects.toThrow(
      /UNSUPPORTED_SASL_MECHANISM \(the broker does not enable OAUTHBEARER; enabled mechanisms: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512\)/,
    );
    await expectLogged(/unsupported SASL mechanism OAUTHBEARER/, 1);
  });

  it('a plaintext client on a TLS port and a TLS client on a plaintext port: each says so, no hang', async () => {
    logLines.length = 0;
    await expect(topicsVia('SSL', { protocol: 'PLAINTEXT' })).rejects.toThrow(/TLS listener — use --security-protocol SSL|if this is a TLS listener, use --security-protocol SSL/);
    await expectLogged(/TLS handshake with 127\.0\.0\.1:\d+ on listener SSL failed/, 1);
    await expect(topicsVia('PLAINTEXT', { protocol: 'SSL', tls: { ca: ca() } })).rejects.toThrow(/is this a plaintext listener\? \(then use --security-protocol PLAINTEXT\)/);
    await expect(topicsVia('SASL_PLAINTEXT', { protocol: 'PLAINTEXT' })).rejects.toThrow(/if this listener uses SASL, use --security-protocol SASL_PLAINTEXT/);
    await expect(topicsVia('PLAINTEXT', { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'PLAIN', username: 'alice', password: 'x' } })).rejects.toThrow(/does not use SASL/);
  });
});
