/**
 * kstream's own client against secured listeners: TLS (CA, mTLS, insecure), SASL PLAIN / SCRAM-SHA-256 /
 * SCRAM-SHA-512 / OAUTHBEARER over SASL_PLAINTEXT and SASL_SSL, KIP-368 re-authentication, and the
 * errors a mismatch gives — each a clear client error and one broker log line.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { ScramAdmin } from '../../src/client/scram-admin.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
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

describe('KIP-368 re-authentication (connections.max.reauth.ms)', () => {
  let r: TestBroker;
  const rlog: string[] = [];
  let skew = 0;
  const rport = (name: string) => r.broker.listeners.find((l) => l.name === name)!.address.port;
  const bob = { protocol: 'SASL_PLAINTEXT', sasl: { mechanism: 'SCRAM-SHA-256', username: 'bob', password: 'bob-secret' } } as const;

  beforeAll(async () => {
    const keep = (m: string) => void rlog.push(m);
    r = await startTestBroker({
      config: { listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0', 'sasl.jaas.config': 'org.apache.kafka.common.security.plain.PlainLoginModule required;', 'connections.max.reauth.ms': '1500', 'connection.failed.authentication.delay.ms': '10' },
      logger: { debug: keep, info: keep, warn: keep, error: keep },
      now: () => Date.now() + skew,
    });
    expect((await createScramUser(rport('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-256')).results[0]!.errorCode).toBe(0);
  });

  const open = () => BrokerConnection.open({ host: '127.0.0.1', port: rport('SASL_PLAINTEXT'), security: bob, requestTimeoutMs: 10_000 });
  const metadata = (c: BrokerConnection) => c.request(MetadataApi, { topics: [], allowAutoTopicCreation: false });

  it('the client re-authenticates on the same connection before its session expires, and keeps working', async () => {
    rlog.length = 0;
    const c = await open();
    try {
      const authenticated = () => rlog.filter((l) => /authenticated as User:bob on listener SASL_PLAINTEXT/.test(l));
      // Requests keep flowing while sessions come and go; every one must succeed.
      await waitFor('three authentications of one connection', async () => {
        await metadata(c);
        return authenticated().length >= 3;
      }, 30_000);
      const ids = new Set(authenticated().map((l) => /connection (#\d+)/.exec(l)![1]));
      expect(ids.size).toBe(1);
      expect(c.closed).toBe(false);
      expect(rlog.filter((l) => /expired|failed authentication/.test(l))).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('re-authentication refused (the user was deleted meanwhile): a clear client error, one broker log line', async () => {
    rlog.length = 0;
    const c = await open();
    try {
      const admin = new ScramAdmin(new Cluster({ bootstrap: [{ host: '127.0.0.1', port: rport('PLAINTEXT') }] }));
      expect((await admin.alter([], [{ user: 'bob', mechanism: 'SCRAM-SHA-256' }]))[0]!.error).toBeNull();
      await admin.cluster.close();
      let failure: Error | null = null;
      await waitFor('the re-authentication to fail', async () => {
        failure = await metadata(c).then(() => null, (e: Error) => e);
        return failure !== null;
      }, 30_000);
      expect(String(failure)).toMatch(/re-authentication with 127\.0\.0\.1:\d+ as bob with SASL mechanism SCRAM-SHA-256: SASL_AUTHENTICATION_FAILED \(Authentication failed during re-authentication due to invalid credentials/);
      await waitFor('the log line', () => rlog.some((l) => /failed authentication/.test(l)), 10_000);
      expect(rlog.filter((l) => /failed authentication/.test(l))).toHaveLength(1);
      expect(rlog.find((l) => /failed authentication/.test(l))).toMatch(/with SASL mechanism SCRAM-SHA-256: no SCRAM-SHA-256 credential for user bob/);
    } finally {
      c.close();
      await createScramUser(rport('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-256');
    }
  });

  it('a session that expired without re-authentication: the broker closes the connection, the client says why', async () => {
    rlog.length = 0;
    const c = await open();
    try {
      // The broker's clock jumps past the session; the client's own re-authentication timer has not fired.
      skew = 60 * 60_000;
      await expect(metadata(c)).rejects.toThrow(/closed by the broker \(the SASL session lifetime is 1500 ms; the broker closes a connection whose session expired\)/);
      await waitFor('the log line', () => rlog.some((l) => /expired/.test(l)), 10_000);
      expect(rlog.filter((l) => /expired/.test(l))).toEqual([expect.stringMatching(/SASL session of User:bob expired \(connections\.max\.reauth\.ms=1500\) without re-authentication/)]);
    } finally {
      skew = 0;
      c.close();
    }
  });
});

describe('OAUTHBEARER (unsecured development tokens)', () => {
  it('our client logs in with a token built from Kafka JAAS options; an expired token gets the broker JSON error', async () => {
    const o = await startTestBroker({ config: { listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'OAUTHBEARER', 'connection.failed.authentication.delay.ms': '0' } });
    const { securityFromConfig } = await import('../../src/client/security-config.ts');
    const jaas = (extra: string) => `org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="dev"${extra};`;
    const list = async (security: ClientSecurity) => {
      const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port: o.port }], security, connectTimeoutMs: 5000 });
      try {
        return await new Admin(cluster).listTopics();
      } finally {
        await cluster.close();
      }
    };
    expect(await list(securityFromConfig({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.mechanism': 'OAUTHBEARER', 'sasl.jaas.config': jaas('') }))).toEqual([]);
    await expect(list(securityFromConfig({ 'security.protocol': 'SASL_PLAINTEXT', 'sasl.jaas.config': jaas(' unsecuredLoginLifetimeSeconds="-60"') }))).rejects.toThrow(
      /SASL authentication with 127\.0\.0\.1:\d+ with SASL mechanism OAUTHBEARER: SASL_AUTHENTICATION_FAILED \(\{"status":"invalid_token"\}\)/,
    );
  });
});
