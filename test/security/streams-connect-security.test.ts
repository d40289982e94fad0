/**
 * KafkaStreams and a Connect standalone worker configured with Kafka's client security keys
 * (security.protocol, sasl.mechanism, sasl.jaas.config, ssl.truststore.*) reach a SASL_SSL listener
 * through our client: the data flows, and the broker saw the SASL user.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Consumed, KafkaStreams, Produced, Serdes, StreamsBuilder } from '../../src/streams/index.ts';
import { closeAll, startTestBroker, tempDir, type TestBroker } from '../helpers/index.ts';
import { closeConnect, startWorker } from '../connect/helpers.ts';
import { clusterFor, produceLines, readTopic, waitFor } from '../streams/runtime-helpers.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';
import { createScramUser } from './scram-users.ts';

let pki: TestPki;
let b: TestBroker;
const logLines: string[] = [];
const port = (name: string) => b.broker.listeners.find((l) => l.name === name)!.address.port;
const plain = () => `127.0.0.1:${port('PLAINTEXT')}`;

beforeAll(async () => {
  pki = await makePki();
  const keep = (m: string) => void logLines.push(m);
  b = await startTestBroker({ config: fourListeners(pki), logger: { debug: keep, info: keep, warn: keep, error: keep } });
  expect((await createScramUser(port('PLAINTEXT'), 'bob', 'bob-secret', 'SCRAM-SHA-512')).results[0]!.errorCode).toBe(0);
}, 60_000);
afterAll(async () => {
  await closeConnect();
  await closeAll();
});

/** A Java client's SASL_SSL + SCRAM-SHA-512 settings, PEM truststore. */
const javaSecurity = () => ({
  'security.protocol': 'SASL_SSL',
  'sasl.mechanism': 'SCRAM-SHA-512',
  'sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required username="bob" password="bob-secret";',
  'ssl.truststore.type': 'PEM',
  'ssl.truststore.location': pki.caFile,
});

describe('Streams and Connect with Kafka client security config', () => {
  it('KafkaStreams over SASL_SSL with SCRAM-SHA-512', async () => {
    const cluster = clusterFor(plain());
    await new Admin(cluster).createTopic('sec-in');
    await new Admin(cluster).createTopic('sec-out');
    await cluster.close();
    await produceLines(plain(), 'sec-in', ['a', 'b']);
    const builder = new StreamsBuilder();
    builder.stream('sec-in', Consumed.with(Serdes.String(), Serdes.String())).mapValues((v: string) => v.toUpperCase()).to('sec-out', Produced.with(Serdes.String(), Serdes.String()));
    logLines.length = 0;
    const streams = new KafkaStreams(builder.build(), {
      'application.id': 'sec-app',
      'bootstrap.servers': `127.0.0.1:${port('SASL_SSL')}`,
      'commit.interval.ms': 100,
      'state.dir': await tempDir(),
      ...javaSecurity(),
    });
    await streams.start();
    try {
      await waitFor('the uppercased records', async () => (await readTopic(plain(), 'sec-out')).map((r) => r.value!.toString()).join() === 'A,B');
    } finally {
      await streams.close();
    }
    expect(logLines.some((l) => /authenticated as User:bob on listener SASL_SSL/.test(l))).toBe(true);
  }, 120_000);

  it('a bad security setting fails KafkaStreams construction with the key named', async () => {
    expect(() => new KafkaStreams(new StreamsBuilder().build(), { 'application.id': 'x', 'bootstrap.servers': plain(), 'security.protocol': 'TLS' })).toThrow(/security\.protocol: "TLS" is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL/);
  });

  it('a Connect standalone worker over SASL_SSL: a file source reaches the topic', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'in.txt'), 'x\ny\n');
    logLines.length = 0;
    await startWorker(
      {
        'bootstrap.servers': `127.0.0.1:${port('SASL_SSL')}`,
        'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
        'offset.storage.file.filename': join(dir, 'offsets'),
        listeners: 'http://127.0.0.1:0',
        ...javaSecurity(),
      },
      [{ name: 'sec-src', 'connector.class': 'FileStreamSource', file: join(dir, 'in.txt'), topic: 'sec-connect' }],
    );
    await waitFor('the file lines in the topic', async () => (await readTopic(plain(), 'sec-connect')).map((r) => r.value!.toString()).join() === 'x,y');
    expect(logLines.some((l) => /authenticated as User:bob on listener SASL_SSL/.test(l))).toBe(true);
  }, 120_000);
});
