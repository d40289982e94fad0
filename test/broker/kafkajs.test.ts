/**
 * kafkajs 2.2.4 (pure JS, npm) against an in-process broker, unchanged: admin, producer (plain,
 * gzip, idempotent) and a consumer group reading from the beginning.
 */
import { CompressionTypes, Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, startTestBroker, type TestBroker } from '../helpers/index.ts';

let b: TestBroker;
let kafka: Kafka;
let admin: Admin;
let producer: Producer;

beforeAll(async () => {
  b = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
  kafka = new Kafka({ clientId: 'kstream-kafkajs-test', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 3 } });
  admin = kafka.admin();
  await admin.connect();
  producer = kafka.producer({ allowAutoTopicCreation: true });
  await producer.connect();
});

afterAll(async () => {
  await producer?.disconnect();
  await admin?.disconnect();
  await closeAll();
});

describe('kafkajs', () => {
  it('admin: createTopics, listTopics, fetchTopicMetadata, deleteTopics', async () => {
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }], waitForLeaders: true })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: 'kjs-admin', numPartitions: 3 }] })).toBe(false); // already there
    expect(await admin.listTopics()).toContain('kjs-admin');
    const md = await admin.fetchTopicMetadata({ topics: ['kjs-admin'] });
    expect(md.topics[0]!.partitions.map((p) => [p.partitionId, p.leader, p.replicas, p.isr]).sort()).toEqual([
      [0, 1, [1], [1]],
      [1, 1, [1], [1]],
      [2, 1, [1], [1]],
    ]);
    await admin.deleteTopics({ topics: ['kjs-admin'] });
    expect(await admin.listTopics()).not.toContain('kjs-admin');
  });

  it('admin: describeCluster, describeConfigs, createPartitions', async () => {
    const cluster = await admin.describeCluster();
    expect(cluster.controller).toBe(1);
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: b.port }]);
    await admin.createTopics({ topics: [{ topic: 'kjs-cfg', numPartitions: 1, configEntries: [{ name: 'retention.ms', value: '86400000' }] }] });
    const cfg = await admin.describeConfigs({ resources: [{ type: 2, name: 'kjs-cfg', configNames: ['retention.ms'] }], includeSynonyms: false });
    expect(cfg.resources[0]!.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: '86400000' });
    await admin.createPartitions({ topicPartitions: [{ topic: 'kjs-cfg', count: 4 }] });
    const md = await admin.fetchTopicMetadata({ topics: ['kjs-cfg'] });
    expect(md.topics[0]!.partitions.length).toBe(4);
  });

  it('producer send → fetchTopicOffsets reflects it; gzip and idempotent producers work', async () => {
    await admin.createTopics({ topics: [{ topic: 'kjs-offsets', numPartitions: 2 }] });
    const sent = await producer.send({
      topic: 'kjs-offsets',
      messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, partition: i % 2 })),
    });
    expect(sent.every((r) => r.errorCode === 0)).toBe(true);
    await producer.send({ topic: 'kjs-offsets', compression: CompressionTypes.GZIP, messages: [{ value: 'zipped', partition: 0 }] });
    const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await idem.connect();
    try {
      await idem.send({ topic: 'kjs-offsets', acks: -1, messages: [{ value: 'once', partition: 1 }] });
    } finally {
      await idem.disconnect();
    }
    const offsets = await admin.fetchTopicOffsets('kjs-offsets');
    expect(offsets.sort((x, y) => x.partition - y.partition).map((o) => [o.partition, o.low, o.high])).toEqual([
      [0, '0', '6'],
      [1, '0', '6'],
    ]);
  });

  it('consumer (group, fromBeginning) reads everything a producer wrote, in order per partition', async () => {
    const topic = 'kjs-consume';
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `key-${i % 7}`, value: `value ${i}`, headers: { n: String(i) } }));
    await producer.send({ topic, messages });
    const consumer = kafka.consumer({ groupId: 'kjs-group', sessionTimeout: 10_000, heartbeatInterval: 500 });
    const got: { partition: number; offset: string; key: string; value: string; n: string }[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolve) => {
        consumer.run({
          eachMessage: async ({ partition, message }) => {
            got.push({ partition, offset: message.offset, key: message.key!.toString(), value: message.value!.toString(), n: message.headers!.n!.toString() });
            if (got.length === messages.length) resolve();
          },
        });
      });
      await done;
    } finally {
      await consumer.disconnect();
    }
    expect(got.map((m) => m.value).sort()).toEqual(messages.map((m) => m.value).sort());
    for (const m of got) expect(m.value).toBe(`value ${m.n}`);
    for (const p of [0, 1]) {
      const offsets = got.filter((m) => m.partition === p).map((m) => Number(m.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });
});
