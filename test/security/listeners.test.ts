import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';
import { createScramUser } from './scram-users.ts';

let pki: TestPki;
let b: TestBroker;
const port = (name: string) => b.broker.listeners.find((l) => l.name === name)!.address.port;
const bootstrap = (name: string) => `127.0.0.1:${port(name)}`;

beforeAll(async () => {
  pki = await makePki();
  b = await startTestBroker({ config: fourListeners(pki) });
  const created = await createScramUser(port('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-256');
  expect(created.results).toEqual([{ user: 'bob', errorCode: 0, errorMessage: null }]);
  const created512 = await createScramUser(port('PLAINTEXT'), 'carol', 'carol-secret', 'SCRAM-SHA-512');
  expect(created512.results[0]!.errorCode).toBe(0);
}, 60_000);
afterAll(closeAll);

function kafka(listener: string, extra: Record<string, unknown>) {
  return new Kafka({ clientId: 'sec-test', brokers: [bootstrap(listener)], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000, ...extra });
}

async function roundTrip(k: Kafka, topic: string): Promise<string[]> {
  const admin = k.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
  await admin.disconnect();
  const producer = k.producer();
  await producer.connect();
  await producer.send({ topic, messages: [{ value: `hello ${topic}` }] });
  await producer.disconnect();
  const consumer = k.consumer({ groupId: `g-${topic}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const got: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.run({ eachMessage: async ({ message }) => { got.push(message.value!.toString()); resolve(); } }).catch(reject);
  });
  await consumer.disconnect();
  return got;
}

describe('listeners: every protocol at once, kafkajs', () => {
  it('Metadata advertises the listener the client connected on', async () => {
    for (const name of ['PLAINTEXT', 'SASL_PLAINTEXT']) {
      const k = kafka(name, name === 'PLAINTEXT' ? {} : { sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
      const admin = k.admin();
      await admin.connect();
      const cluster = await admin.describeCluster();
      await admin.disconnect();
      expect(cluster.brokers.map((x) => x.port)).toEqual([port(name)]);
    }
  });

  it('SASL_PLAINTEXT with PLAIN: produce and consume', async () => {
    const k = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
    expect(await roundTrip(k, 'sasl-plain')).toEqual(['hello sasl-plain']);
  });

  it('SASL_SSL with SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    const ssl = { ca: [readFileSync(pki.caFile)] };
    const k256 = kafka('SASL_SSL', { ssl, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'bob-secret' } });
    expect(await roundTrip(k256, 'scram-256')).toEqual(['hello scram-256']);
    const k512 = kafka('SASL_SSL', { ssl, sasl: { mechanism: 'scram-sha-512', username: 'carol', password: 'carol-secret' } });
    expect(await roundTrip(k512, 'scram-512')).toEqual(['hello scram-512']);
  });

  it('SSL with a client certificate (mTLS)', async () => {
    const k = kafka('SSL', { ssl: { ca: [readFileSync(pki.caFile)], cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) } });
    expect(await roundTrip(k, 'mtls')).toEqual(['hello mtls']);
  });

  it('wrong password: the client gets an authentication error, the broker keeps serving', async () => {
    const bad = kafka('SASL_SSL', { ssl: { ca: [readFileSync(pki.caFile)] }, sasl: { mechanism: 'scram-sha-256', username: 'bob', password: 'nope' } });
    const admin = bad.admin();
    await expect(admin.connect()).rejects.toThrow(/SASL SCRAM SHA256 authentication failed|Authentication failed/i);
    const badPlain = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: 'wrong' } });
    const admin2 = badPlain.admin();
    await expect(admin2.connect()).rejects.toThrow(/Invalid username or password/);
    const good = kafka('SASL_PLAINTEXT', { sasl: { mechanism: 'plain', username: 'alice', password: 'alice-secret' } });
    const ok = good.admin();
    await ok.connect();
    expect(await ok.listTopics()).toContain('sasl-plain');
    await ok.disconnect();
  });

  it('ssl.client.auth=requested: clients with and without a certificate connect; an untrusted certificate is refused', async () => {
    const r = await startTestBroker({ config: { listeners: 'SSL://127.0.0.1:0', 'ssl.keystore.type': 'PEM', 'ssl.keystore.location': pki.serverKeystore, 'ssl.truststore.type': 'PEM', 'ssl.truststore.location': pki.caFile, 'ssl.client.auth': 'requested' } });
    const ca = [readFileSync(pki.caFile)];
    for (const ssl of [{ ca }, { ca, cert: readFileSync(pki.clientCertFile), key: readFileSync(pki.clientKeyFile) }]) {
      const admin = new Kafka({ brokers: [r.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, ssl }).admin();
      await admin.connect();
      expect((await admin.describeCluster()).brokers[0]!.port).toBe(r.port);
      await admin.disconnect();
    }
    const { createCertificateAuthority, issueCertificate } = await import('../../src/security/self-signed.ts');
    const stranger = issueCertificate(createCertificateAuthority('other CA'), { commonName: 'mallory' });
    const bad = new Kafka({ brokers: [r.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 5000, ssl: { ca, cert: stranger.cert, key: stranger.key } }).admin();
    await expect(bad.connect()).rejects.toThrow();
  });

  it('SCRAM with a user that has only the other mechanism fails', async () => {
    const k = kafka('SASL_SSL', { ssl: { ca: [readFileSync(pki.caFile)] }, sasl: { mechanism: 'scram-sha-512', username: 'bob', password: 'bob-secret' } });
    await expect(k.admin().connect()).rejects.toThrow(/authentication failed/i);
  });
});
