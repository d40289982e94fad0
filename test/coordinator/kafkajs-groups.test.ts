import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { RunningBroker } from '../../src/broker/broker.ts';
import { killAndWait, useCleanupStack, waitFor } from '../helpers/index.ts';
import { spawnGroupBroker, startGroupBroker } from './helpers.ts';

/** Real kafkajs consumer groups against a real broker (in-process, or a child process for kill -9). */

const { defer, tempDir } = useCleanupStack();

function kafkaFor(port: number, clientId = 'it'): Kafka {
  return new Kafka({ clientId, brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100, maxRetryTime: 1000 } });
}

interface Tracked {
  consumer: Consumer;
  received: { partition: number; offset: string; value: string }[];
  assignment: number[];
}

async function startConsumer(kafka: Kafka, groupId: string, topic: string): Promise<Tracked> {
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 300, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
  const t: Tracked = { consumer, received: [], assignment: [] };
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    t.assignment = [...(e.payload.memberAssignment[topic] ?? [])].sort();
  });
  defer(() => consumer.disconnect());
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      t.received.push({ partition, offset: message.offset, value: message.value!.toString() });
    },
  });
  return t;
}

describe('kafkajs consumer groups', () => {
  it('two consumers split a 4-partition topic; when one leaves the other takes over every partition', async () => {
    const broker: RunningBroker = await startGroupBroker(await tempDir('kstream-groups-it-'));
    defer(() => broker.close());
    const topic = 'split';
    await broker.context.logs.createTopic(topic, { partitions: 4 });
    const kafka = kafkaFor(broker.address.port);
    const producer = kafka.producer();
    defer(() => producer.disconnect());
    await producer.connect();
    const send = (from: number, n: number) =>
      producer.send({ topic, messages: Array.from({ length: n }, (_, i) => ({ value: `m${from + i}`, partition: (from + i) % 4 })) });

    const a = await startConsumer(kafka, 'split-group', topic);
    await waitFor('A to own all 4 partitions', () => a.assignment.length === 4);
    await send(0, 40);
    await waitFor('A to read the first 40 messages', () => a.received.length >= 40);

    const b = await startConsumer(kafka, 'split-group', topic);
    await waitFor('the partitions to be split between A and B', () => a.assignment.length > 0 && b.assignment.length > 0 && a.assignment.length + b.assignment.length === 4);
    expect(new Set([...a.assignment, ...b.assignment])).toEqual(new Set([0, 1, 2, 3]));
    const aBefore = a.received.length;
    const bBefore = b.received.length;
    await send(40, 40);
    await waitFor('A and B to read the next 40', () => a.received.length - aBefore + b.received.length - bBefore >= 40);
    const second = [...a.received.slice(aBefore), ...b.received.slice(bBefore)];
    // Each message of the second round once, from the consumer owning its partition.
    expect(second.map((r) => r.value).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `m${40 + i}`).sort());
    for (const r of a.received.slice(aBefore)) expect(a.assignment).toContain(r.partition);
    for (const r of b.received.slice(bBefore)) expect(b.assignment).toContain(r.partition);

    await a.consumer.disconnect(); // LeaveGroup
    await waitFor('B to take over all partitions', () => b.assignment.length === 4);
    const bMid = b.received.length;
    await send(80, 20);
    await waitFor('B to read the last 20', () => b.received.length - bMid >= 20);
    expect(b.received.slice(bMid).map((r) => r.value).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${80 + i}`).sort());

    const admin = kafka.admin();
    defer(() => admin.disconnect());
    await admin.connect();
    const described = await admin.describeGroups(['split-group']);
    expect(described.groups[0]).toMatchObject({ groupId: 'split-group', state: 'Stable', protocolType: 'consumer' });
    expect(described.groups[0]!.members).toHaveLength(1);
    const listed = await admin.listGroups();
    expect(listed.groups).toContainEqual({ groupId: 'split-group', protocolType: 'consumer' });
  }, 90_000);

  it('after kill -9 and a restart of the broker, a group resumes from its committed offsets', async () => {
    const dataDir = await tempDir('kstream-groups-it-');
    const topic = 'resume';
    // Create the topic with a broker in this process, then run the real `kstream serve` on the same data dir.
    const setup = await startGroupBroker(dataDir);
    await setup.context.logs.createTopic(topic, { partitions: 1 });
    await setup.close();

    const first = await spawnGroupBroker(dataDir);
    defer(() => killAndWait(first.process));
    const kafka1 = kafkaFor(first.port);
    const producer = kafka1.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${i}` })) });
    await producer.disconnect();
    const c1 = await startConsumer(kafka1, 'resume-group', topic);
    await waitFor('the first 10 messages', () => c1.received.length >= 10);
    const admin1 = kafka1.admin();
    await admin1.connect();
    await waitFor('offset 10 to be committed', async () => {
      const [t] = await admin1.fetchOffsets({ groupId: 'resume-group', topics: [topic] });
      return t!.partitions[0]!.offset === '10';
    });
    // Leave the group first, so the new consumer below does not wait for this member's session to
    // time out (it would, correctly, if the kill raced the Empty group's record to the log).
    await c1.consumer.disconnect();
    await waitFor('the group to be empty', async () => (await admin1.describeGroups(['resume-group'])).groups[0]!.state === 'Empty');
    await admin1.disconnect();
    await killAndWait(first.process, 'SIGKILL');

    const second = await spawnGroupBroker(dataDir);
    defer(() => killAndWait(second.process));
    const kafka2 = kafkaFor(second.port, 'it-2');
    const producer2 = kafka2.producer();
    await producer2.connect();
    await producer2.send({ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `m${10 + i}` })) });
    await producer2.disconnect();
    const c2 = await startConsumer(kafka2, 'resume-group', topic);
    await waitFor('the 5 new messages', () => c2.received.length >= 5);
    // fromBeginning only applies without a committed offset: the group resumed at offset 10.
    expect(c2.received[0]).toMatchObject({ offset: '10', value: 'm10' });
    expect(c2.received.map((r) => r.value)).toEqual(['m10', 'm11', 'm12', 'm13', 'm14']);
  }, 90_000);

  it('a running consumer carries on through kill -9 and a restart of the broker (group restored from __consumer_offsets)', async () => {
    const dataDir = await tempDir('kstream-groups-it-');
    const topic = 'survive';
    const setup = await startGroupBroker(dataDir);
    await setup.context.logs.createTopic(topic, { partitions: 2 });
    await setup.close();

    const first = await spawnGroupBroker(dataDir);
    defer(() => killAndWait(first.process));
    const kafka = kafkaFor(first.port);
    const c = await startConsumer(kafka, 'survivor', topic);
    let joins = 0;
    c.consumer.on(c.consumer.events.GROUP_JOIN, () => joins++);
    await waitFor('the consumer to own both partitions', () => c.assignment.length === 2);
    const produce = async (from: number) => {
      const p = kafka.producer();
      await p.connect();
      await p.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `m${from + i}`, partition: i % 2 })) });
      await p.disconnect();
    };
    await produce(0);
    await waitFor('the first 10 messages', () => c.received.length >= 10);
    const admin = kafka.admin();
    await admin.connect();
    await waitFor('offsets committed', async () => {
      const [t] = await admin.fetchOffsets({ groupId: 'survivor', topics: [topic] });
      return t!.partitions.reduce((s, p) => s + Number(p.offset), 0) === 10;
    });
    await admin.disconnect();
    const joinsBefore = joins;

    await killAndWait(first.process, 'SIGKILL');
    const second = await spawnGroupBroker(dataDir, [], first.port);
    defer(() => killAndWait(second.process));
    await produce(10);
    await waitFor('the 10 messages produced after the restart', () => c.received.length >= 20);
    expect(c.received.map((r) => r.value).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());
    console.log(`consumer rejoins across the broker restart: ${joins - joinsBefore}`);
  }, 90_000);
});
