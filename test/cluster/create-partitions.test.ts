/**
 * CreatePartitions in cluster mode: a real etcd and three `kstream serve --metadata-store etcd://…`
 * brokers, each in its own rack, driven by the kafkajs admin. The new partitions' replicas are placed
 * rack-aware (one replica per rack) with partition 0's replication factor, every broker describes the
 * same grown topic, every replica of a new partition has a log (acks=all writes to each partition
 * succeed and read back), and bad requests are refused with Kafka's codes leaving the topic as it was.
 * Every process started here is stopped.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { MetadataApi } from '../../src/protocol/messages/metadata.ts';
import { closeAll } from '../helpers/cleanup.ts';
import { tempDir } from '../helpers/temp.ts';
import { etcdAvailable, startEtcd, waitFor, type RunningEtcd, startClusterNode, type ClusterNode } from './etcd-harness.ts';

const BROKER_CONFIG = ['broker.session.timeout.ms=2000', 'leader.imbalance.check.interval.seconds=3600', 'offsets.topic.replication.factor=3', 'group.initial.rebalance.delay.ms=0'];
const RACK: Record<number, string> = { 1: 'rack-a', 2: 'rack-b', 3: 'rack-c' };

let etcd: RunningEtcd;
const nodes: ClusterNode[] = [];
const bootstrap = (): string[] => nodes.map((n) => n.broker!.bootstrap);

async function metadataFrom(n: ClusterNode, topics: string[]) {
  const conn = await BrokerConnection.open({ host: '127.0.0.1', port: n.broker!.port, clientId: 'create-partitions-test', requestTimeoutMs: 5000, connectTimeoutMs: 3000 });
  try {
    return await conn.request(MetadataApi, { topics: topics.map((name) => ({ name, topicId: 'AAAAAAAAAAAAAAAAAAAAAA' })), allowAutoTopicCreation: false });
  } finally {
    conn.close();
  }
}

const kafka = (clientId: string) => new Kafka({ brokers: bootstrap(), clientId, logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });

describe.skipIf(!etcdAvailable)('cluster mode: CreatePartitions', () => {
  beforeAll(async () => {
    etcd = await startEtcd();
    for (let id = 1; id <= 3; id++) nodes.push({ id, dataDir: await tempDir('kstream-createparts-'), broker: null });
    await Promise.all(nodes.map((n) => startClusterNode(n, etcd, [...BROKER_CONFIG, `broker.rack=${RACK[n.id]}`])));
    await waitFor('3 registered brokers', async () => ((await metadataFrom(nodes[0]!, [])).brokers.length === 3 ? true : undefined), 30_000);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(
      nodes
        .filter((n) => n.broker)
        .map(async (n) => {
          n.broker!.kill('SIGTERM');
          await n.broker!.exited;
        }),
    );
    await closeAll();
    await etcd?.stop();
  }, 120_000);

  it('grows a replicated topic: new replicas placed rack-aware with partition 0’s replication factor, logs on every replica, Kafka’s errors', async () => {
    const topic = 'grow';
    const admin = kafka('grow-admin').admin();
    await admin.connect();
    try {
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 2 }], waitForLeaders: true })).toBe(true);

      // Refusals first: nothing may change.
      const refused = async (req: Parameters<typeof admin.createPartitions>[0]) => {
        const err = (await admin.createPartitions(req).then(() => null, (e: unknown) => e)) as { type?: string } | null;
        return err?.type ?? 'accepted';
      };
      expect(await refused({ topicPartitions: [{ topic, count: 2 }] })).toBe('INVALID_PARTITIONS');
      expect(await refused({ topicPartitions: [{ topic, count: 1 }] })).toBe('INVALID_PARTITIONS');
      expect(await refused({ topicPartitions: [{ topic, count: 3, assignments: [[1, 9]] }] })).toBe('INVALID_REPLICA_ASSIGNMENT');
      expect(await refused({ topicPartitions: [{ topic, count: 3, assignments: [[1, 2, 3]] }] })).toBe('INVALID_REPLICA_ASSIGNMENT'); // RF 3 ≠ partition 0's 2
      expect(await refused({ topicPartitions: [{ topic, count: 4, assignments: [[1, 2]] }] })).toBe('INVALID_REPLICA_ASSIGNMENT'); // 2 to add, 1 given
      expect(await refused({ topicPartitions: [{ topic: 'no-such-topic', count: 4 }] })).toBe('UNKNOWN_TOPIC_OR_PARTITION');
      await admin.createPartitions({ validateOnly: true, topicPartitions: [{ topic, count: 8 }] });
      expect((await metadataFrom(nodes[0]!, [topic])).topics[0]!.partitions).toHaveLength(2);

      // Placed by the cluster: 2 → 5 partitions.
      await admin.createPartitions({ topicPartitions: [{ topic, count: 5 }] });
      // Explicit assignment: 5 → 6, partition 5 on brokers 3 and 1.
      await admin.createPartitions({ topicPartitions: [{ topic, count: 6, assignments: [[3, 1]] }] });

      // Every broker describes the same six partitions: RF 2, replicas in two racks, leader = replicas[0], full ISR.
      const views = await Promise.all(nodes.map((n) => metadataFrom(n, [topic])));
      const described = views.map((v) =>
        [...v.topics[0]!.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => ({ p: p.partitionIndex, replicas: p.replicaNodes, isr: [...p.isrNodes].sort(), leader: p.leaderId })),
      );
      expect(described[1]).toEqual(described[0]);
      expect(described[2]).toEqual(described[0]);
      const parts = described[0]!;
      expect(parts.map((p) => p.p)).toEqual([0, 1, 2, 3, 4, 5]);
      for (const p of parts) {
        expect(p.replicas).toHaveLength(2);
        expect(new Set(p.replicas.map((r) => RACK[r])).size).toBe(2);
        expect(p.leader).toBe(p.replicas[0]);
        expect(p.isr).toEqual([...p.replicas].sort());
      }
      expect(parts[5]!.replicas).toEqual([3, 1]);
      // Leaders of the placed partitions go round the brokers (Kafka's round robin), not all to one.
      expect(new Set(parts.slice(2, 5).map((p) => p.leader)).size).toBe(3);
    } finally {
      await admin.disconnect();
    }

    // Each new partition takes acks=all writes (both replicas hold them: each has its log) and reads back.
    const producer = kafka('grow-producer').producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let partition = 0; partition < 6; partition++) {
      await producer.send({ topic, acks: -1, messages: [{ partition, value: `p${partition}` }] });
    }
    await producer.disconnect();
    const seen = new Map<number, string>();
    const consumer = kafka('grow-reader').consumer({ groupId: 'grow-reader', sessionTimeout: 10_000 });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let done!: () => void;
    const all = new Promise<void>((r) => (done = r));
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.set(partition, message.value!.toString());
        if (seen.size === 6) done();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`read only ${JSON.stringify([...seen])}`)), 60_000)))]).finally(() => clearTimeout(timer));
    await consumer.disconnect();
    expect([...seen].sort((a, b) => a[0] - b[0])).toEqual([0, 1, 2, 3, 4, 5].map((p) => [p, `p${p}`]));
  }, 150_000);
});
