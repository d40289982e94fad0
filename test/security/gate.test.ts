/**
 * The authentication gate over the wire (RawClient): what a SASL listener serves before
 * authentication, SaslHandshake v0 raw tokens, KIP-368 session expiry on an injected clock, and
 * SCRAM credential administration with persistence across a restart.
 */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { SaslHandshakeApi } from '../../src/protocol/messages/sasl-handshake.ts';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, RawClient, settlesWithin, startTestBroker, tempDir } from '../helpers/index.ts';
import { saltedPassword, scramMechanismByName } from '../../src/security/scram.ts';
import { JAAS_PLAIN } from './pki.ts';
import {
  AlterUserScramCredentialsFacts, ApiVersionsFacts, DescribeUserScramCredentialsFacts, MetadataFacts,
  SaslAuthenticateFacts, SaslHandshakeFacts,
} from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

afterAll(closeAll);

const SASL_CONFIG = {
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
  'sasl.jaas.config': JAAS_PLAIN,
  'connection.failed.authentication.delay.ms': '0',
};

const plainToken = (user: string, password: string) => Buffer.from(`\0${user}\0${password}`);

describe('authentication gate', () => {
  it('only ApiVersions and SaslHandshake before authentication; anything else closes the connection', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    const c = await RawClient.connect(b.port);
    const versions = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(0);
    await expect(c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false })).rejects.toThrow(/closed/);
    expect(await settlesWithin(c.closed, 5000)).toBe(true);
  });

  it('handshake v1 + SaslAuthenticate: unsupported mechanism, wrong password, then success and Metadata', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    const bad = await RawClient.connect(b.port);
    const hs = await bad.request(SaslHandshakeFacts, 1, { mechanism: 'GSSAPI' });
    expect(hs).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] });
    expect(await settlesWithin(bad.closed, 5000)).toBe(true);

    const wrong = await RawClient.connect(b.port);
    expect((await wrong.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const failed = await wrong.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('alice', 'nope') });
    expect(failed).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: 'Authentication failed: Invalid username or password' });
    expect(await settlesWithin(wrong.closed, 5000)).toBe(true);

    const ok = await RawClient.connect(b.port);
    expect((await ok.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    const auth = await ok.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('alice', 'alice-secret') });
    expect(auth).toMatchObject({ errorCode: 0, sessionLifetimeMs: 0n });
    const md = await ok.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false });
    expect(md.brokers).toEqual([expect.objectContaining({ port: b.port })]);
    ok.close();
  });

  it('SaslAuthenticate before a handshake closes the connection (Kafka: unexpected request during SASL handshake)', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    const c = await RawClient.connect(b.port);
    await expect(c.request(SaslAuthenticateFacts, 1, { authBytes: plainToken('alice', 'alice-secret') })).rejects.toThrow(/closed/);
    expect(await settlesWithin(c.closed, 5000)).toBe(true);
  });

  it('SaslHandshake v0: raw SASL tokens follow (length-prefixed, no header), then Kafka requests', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    const socket = createConnection({ host: '127.0.0.1', port: b.port });
    let buffered = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => (buffered = Buffer.concat([buffered, d])));
    const nextFrame = async (): Promise<Buffer> => {
      for (let i = 0; i < 250; i++) {
        if (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
          const n = buffered.readInt32BE(0);
          const frame = buffered.subarray(4, 4 + n);
          buffered = buffered.subarray(4 + n);
          return frame;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('no frame from the broker');
    };
    try {
      socket.write(encodeRequestFrame(SaslHandshakeApi, 0, 1, 't', { mechanism: 'PLAIN' }));
      const hs = decodeResponseFrame(SaslHandshakeApi, 0, await nextFrame()).body;
      expect(hs.errorCode).toBe(0);
      const token = plainToken('alice', 'alice-secret');
      const frame = Buffer.alloc(4 + token.length);
      frame.writeInt32BE(token.length, 0);
      token.copy(frame, 4);
      socket.write(frame);
      expect((await nextFrame()).length).toBe(0); // PLAIN's empty server token, size-prefixed
      socket.write(encodeRequestFrame(MetadataApi, 4, 2, 't', { topics: null, allowAutoTopicCreation: false }));
      const md = decodeResponseFrame(MetadataApi, 4, await nextFrame()).body;
      expect(md.brokers[0]!.port).toBe(b.port);
    } finally {
      socket.destroy();
    }
  });

  it('PLAINTEXT and SSL-less listeners answer SaslHandshake with ILLEGAL_SASL_STATE and keep serving', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    const plainPort = b.broker.listeners.find((l) => l.name === 'PLAINTEXT')!.address.port;
    const c = await RawClient.connect(plainPort);
    expect(await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' })).toEqual({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    const md = await c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false });
    expect(md.brokers[0].port).toBe(plainPort);
    c.close();
  });

  it('KIP-368: SaslAuthenticate v1+ reports connections.max.reauth.ms; an expired session is closed at its next request; re-authentication renews it', async () => {
    let clock = 1_000_000;
    const b = await startTestBroker({ config: { ...SASL_CONFIG, 'connections.max.reauth.ms': '60000' }, now: () => clock });
    const c = await RawClient.connect(b.port);
    await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' });
    expect((await c.request(SaslAuthenticateFacts, 1, { authBytes: plainToken('alice', 'alice-secret') })).sessionLifetimeMs).toBe(60000n);
    clock += 30_000;
    await c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false });
    // Re-authenticate (same mechanism and principal) before expiry: a fresh lifetime.
    expect((await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' })).errorCode).toBe(0);
    expect((await c.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('alice', 'alice-secret') })).errorCode).toBe(0);
    clock += 50_000; // 80 s after the first authentication, 50 s after the second
    await c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false });
    clock += 20_000;
    await expect(c.request(MetadataFacts, 4, { topics: null, allowAutoTopicCreation: false })).rejects.toThrow(/closed/);
  });

  it('re-authentication as another user is refused', async () => {
    const b = await startTestBroker({ config: { ...SASL_CONFIG, 'connections.max.reauth.ms': '60000' } });
    const c = await RawClient.connect(b.port);
    await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' });
    await c.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('alice', 'alice-secret') });
    await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' });
    const r = await c.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('admin', 'admin-secret') });
    expect(r).toMatchObject({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: expect.stringMatching(/Cannot change principals during re-authentication from User:alice/) });
  });

  it('fuzzed tokens never authenticate and never stop the broker', async () => {
    const b = await startTestBroker({ config: SASL_CONFIG });
    for (let i = 0; i < 30; i++) {
      const c = await RawClient.connect(b.port);
      const mechanism = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'][i % 3]!;
      await c.request(SaslHandshakeFacts, 1, { mechanism });
      const junk = i % 2 === 0 ? randomBytes(i * 7) : Buffer.from(`n,,n=alice,r=${randomBytes(i).toString('latin1')}`, 'latin1');
      const r = await c.request(SaslAuthenticateFacts, 2, { authBytes: junk }).catch(() => null);
      if (r !== null && r.errorCode === 0) {
        // A SCRAM first message may get a challenge; the exchange must still fail at the proof.
        const r2 = await c.request(SaslAuthenticateFacts, 2, { authBytes: randomBytes(40) }).catch(() => null);
        expect(r2 === null || r2.errorCode !== 0).toBe(true);
      }
      c.close();
    }
    const c = await RawClient.connect(b.port);
    await c.request(SaslHandshakeFacts, 1, { mechanism: 'PLAIN' });
    expect((await c.request(SaslAuthenticateFacts, 2, { authBytes: plainToken('alice', 'alice-secret') })).errorCode).toBe(0);
    c.close();
  });
});

describe('SCRAM credentials: Describe/AlterUserScramCredentials', () => {
  const m256 = scramMechanismByName('SCRAM-SHA-256')!;
  const upsert = (name: string, mechanism = 1, iterations = 4096) => {
    const salt = randomBytes(16);
    return { name, mechanism, iterations, salt, saltedPassword: saltedPassword(m256, 'pw', salt, Math.max(iterations, 1)) };
  };

  it('validates like Kafka, persists, and survives a restart', async () => {
    const dataDir = await tempDir();
    const b = await startTestBroker({ dataDir });
    const c = await RawClient.connect(b.port);
    const r = await c.request(AlterUserScramCredentialsFacts, 0, {
      deletions: [{ name: 'ghost', mechanism: 1 }],
      upsertions: [upsert('alice'), upsert('few', 1, 100), upsert('many', 1, 20000), upsert('', 1), upsert('odd', 9), upsert('twice'), upsert('twice')],
    });
    const byUser = Object.fromEntries(r.results.map((x: { user: string; errorCode: number; errorMessage: string | null }) => [x.user, [x.errorCode, x.errorMessage]]));
    expect(byUser).toEqual({
      alice: [0, null],
      ghost: [91, 'Attempt to delete a user credential that does not exist'],
      few: [93, 'Too few iterations'],
      many: [93, 'Too many iterations'],
      '': [93, 'Username must not be empty'],
      odd: [33, 'Unknown SCRAM mechanism'],
      twice: [92, 'A user credential cannot be altered twice in the same request'],
    });
    const d = await c.request(DescribeUserScramCredentialsFacts, 0, { users: [{ name: 'alice' }, { name: 'nobody' }, { name: 'few' }] });
    expect(d.results).toEqual([
      { user: 'alice', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 1, iterations: 4096 }] },
      { user: 'nobody', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: nobody', credentialInfos: [] },
      { user: 'few', errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist: few', credentialInfos: [] },
    ]);
    c.close();
    await b.close();

    const again = await startTestBroker({ dataDir });
    const c2 = await RawClient.connect(again.port);
    const all = await c2.request(DescribeUserScramCredentialsFacts, 0, { users: null });
    expect(all.results.map((x: { user: string }) => x.user)).toEqual(['alice']);
    const del = await c2.request(AlterUserScramCredentialsFacts, 0, { deletions: [{ name: 'alice', mechanism: 1 }], upsertions: [] });
    expect(del.results).toEqual([{ user: 'alice', errorCode: 0, errorMessage: null }]);
    expect((await c2.request(DescribeUserScramCredentialsFacts, 0, { users: null })).results).toEqual([]);
    c2.close();
  });
});

describe('fuzzed SASL exchanges against every mechanism (real client tokens, truncated and mutated)', () => {
  it('never authenticate, never crash the broker; the real exchange still works afterwards', async () => {
    const { ScramSaslClient } = await import('../../src/security/scram-client.ts');
    const { OAuthBearerSaslClient, unsecuredJws } = await import('../../src/security/oauthbearer-client.ts');
    const { PlainSaslClient } = await import('../../src/security/plain-client.ts');
    const b = await startTestBroker({ config: { ...SASL_CONFIG, 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER' } });
    const plainPort = b.broker.listeners.find((l) => l.name === 'PLAINTEXT')!.address.port;
    for (const m of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const mech = scramMechanismByName(m)!;
      const salt = randomBytes(16);
      const admin = await RawClient.connect(plainPort);
      await admin.request(AlterUserScramCredentialsFacts, 0, { deletions: [], upsertions: [{ name: 'alice', mechanism: mech.type, iterations: 4096, salt, saltedPassword: saltedPassword(mech, 'alice-secret', salt, 4096) }] });
      admin.close();
    }
    // A seeded generator: a failure names its seed and case, and replays exactly.
    const seed = Number(process.env.KSTREAM_FUZZ_SEED ?? Date.now() % 1_000_000);
    let state = seed;
    const rand = (n: number) => ((state = (state * 1103515245 + 12345) % 2 ** 31), state % n);
    const mutate = (token: Buffer): Buffer => {
      switch (rand(3)) {
        case 0:
          return token.subarray(0, rand(token.length)); // truncated
        case 1: {
          const out = Buffer.from(token);
          const i = rand(out.length);
          out[i] = (out[i]! + 1 + rand(255)) % 256; // one byte changed
          return out;
        }
        default:
          return randomBytes(rand(200)); // noise
      }
    };
    for (let i = 0; i < 60; i++) {
      const mechanism = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'][i % 4]!;
      const where = `seed ${seed}, case ${i} (${mechanism})`;
      const c = await RawClient.connect(b.port);
      expect((await c.request(SaslHandshakeFacts, 1, { mechanism })).errorCode, where).toBe(0);
      const send = (t: Buffer) => c.request(SaslAuthenticateFacts, 2, { authBytes: t }).catch(() => null);
      if (mechanism === 'PLAIN') {
        await send(mutate(new PlainSaslClient('alice', 'alice-secret').initialResponse()));
      } else if (mechanism === 'OAUTHBEARER') {
        const token = new OAuthBearerSaslClient(unsecuredJws({ principal: 'alice' })).initialResponse();
        // Only truncation or noise: an unsecured token with a changed byte may well be another valid token.
        const r = await send(rand(2) === 0 ? token.subarray(0, rand(token.length)) : randomBytes(rand(200)));
        if (r?.errorCode === 0 && r.authBytes.length > 0) await send(Buffer.from([1]));
      } else {
        const client = new ScramSaslClient(scramMechanismByName(mechanism)!, 'alice', 'alice-secret');
        const first = client.initialResponse();
        if (rand(2) === 0) {
          await send(mutate(first));
          await send(randomBytes(rand(120)));
        } else {
          const r = await send(first);
          expect(r?.errorCode, where).toBe(0);
          await send(mutate(client.evaluate(r.authBytes)!));
        }
      }
      const served = await c.request(MetadataFacts, 1, { topics: [] }).then(() => true, () => false);
      expect(served, `${where}: a fuzzed exchange must not authenticate`).toBe(false);
      c.close();
    }
    // A proof with a character outside base64 (Node's decoder would skip it) is malformed, as in Kafka.
    for (const mechanism of ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const) {
      const c = await RawClient.connect(b.port);
      await c.request(SaslHandshakeFacts, 1, { mechanism });
      const client = new ScramSaslClient(scramMechanismByName(mechanism)!, 'alice', 'alice-secret');
      const r = await c.request(SaslAuthenticateFacts, 2, { authBytes: client.initialResponse() });
      const final = client.evaluate(r.authBytes)!.toString();
      const r2 = await c.request(SaslAuthenticateFacts, 2, { authBytes: Buffer.from(final.replace(/p=/, 'p=!')) }).catch(() => null);
      expect(r2 === null || r2.errorCode !== 0, mechanism).toBe(true);
      c.close();
    }
    // The broker still serves, and every mechanism's real exchange still authenticates.
    for (const mechanism of ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512', 'OAUTHBEARER'] as const) {
      const c = await RawClient.connect(b.port);
      await c.request(SaslHandshakeFacts, 1, { mechanism });
      const client = mechanism === 'PLAIN' ? new PlainSaslClient('alice', 'alice-secret') : mechanism === 'OAUTHBEARER' ? new OAuthBearerSaslClient(unsecuredJws({ principal: 'alice' })) : new ScramSaslClient(scramMechanismByName(mechanism)!, 'alice', 'alice-secret');
      let token: Buffer | null = client.initialResponse();
      while (token !== null) {
        const r: { errorCode: number; authBytes: Buffer } = await c.request(SaslAuthenticateFacts, 2, { authBytes: token });
        expect(r.errorCode, mechanism).toBe(0);
        token = client.evaluate(r.authBytes);
      }
      expect((await c.request(MetadataFacts, 1, { topics: [] })).brokers.length, mechanism).toBe(1);
      c.close();
    }
  }, 120_000);
});
