/**
 * Replication between real in-process brokers, driven by a test-only assignment driver
 * (harness.ts: the same PartitionAssignment list to every broker, AlterPartition as an in-memory CAS).
 * Covers: followers byte-identical to the leader, acks=all acknowledged only once the followers have
 * the data (our client and kafkajs), min.insync.replicas, ISR shrink after replica.lag.time.max.ms and
 * expansion on catch-up, leader change with truncation of the old leader's unreplicated tail through
 * the diverging epoch, the leader-epoch-checkpoint file, OffsetForLeaderEpoch, NOT_LEADER_OR_FOLLOWER
 * and fetch-from-follower (KIP-392).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrokerConnection } from '../../src/client/broker-connection.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { FetchApi } from '../../src/protocol/messages/fetch.ts';
import { OffsetForLeaderEpochApi } from '../../src/protocol/messages/offset-for-leader-epoch.ts';
import { ProduceApi } from '../../src/protocol/messages/produce.ts';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import type { PartitionAssignment } from '../../src/replication/replication-seam.ts';
import type { PartitionLog } from '../../src/storage/partition-log.ts';
import { closeAll, waitFor } from '../helpers/index.ts';
import { ReplicationHarness } from './harness.ts';

const LAG_MS = 1500;
const h = new ReplicationHarness({
  'replica.lag.time.max.ms': String(LAG_MS),
  'replica.fetch.wait.max.ms': '100',
  'replica.fetch.backoff.ms': '100',
  'group.initial.rebalance.delay.ms': '0',
  // No silent auto-creation on a follower: logs come from assignments.
  'auto.create.topics.enable': 'false',
});
const conns: BrokerConnection[] = [];
const clusters: Cluster[] = [];

async function connect(nodeId: number): Promise<BrokerConnection> {
  const b = h.broker(nodeId);
  const c = await BrokerConnection.open({ host: b.host, port: b.port, clientId: 'replication-test' });
  conns.push(c);
  return c;
}

function log(nodeId: number, topic: string, partition = 0): PartitionLog {
  const l = h.broker(nodeId).broker.context.logs.partition(topic, partition);
  if (!l) throw new Error(`broker ${nodeId} has no log ${topic}-${partition}`);
  return l;
}

function assignment(topic: string, replicas: number[], leader: number, leaderEpoch = 0, extra: Partial<PartitionAssignment> = {}): PartitionAssignment {
  return { topic, topicId: topicIds.get(topic)!, partition: 0, replicas, isr: [...replicas], leader, leaderEpoch, partitionEpoch: 0, ...extra };
}
const topicIds = new Map<string, string>();
function topicId(topic: string): string {
  // 16 random-ish bytes, base64url like Kafka's Uuid (the cluster layer's job normally).
  const id = Buffer.from(`${topic}________________`.slice(0, 16)).toString('base64url');
  topicIds.set(topic, id);
  return id;
}

async function produceRaw(nodeId: number, topic: string, acks: number, values: string[], timeoutMs = 5000): Promise<{ errorCode: number; baseOffset: bigint }> {
  const c = await connect(nodeId);
  const records = encodeRecordBatch({ records: values.map((v) => ({ value: Buffer.from(v) })) });
  const res = await c.request(ProduceApi, { acks, timeoutMs, transactionalId: null, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  const p = res.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}

/** Each replica's segment bytes below the high watermark (one segment per log in these tests). */
async function committedBytes(nodeId: number, topic: string): Promise<Buffer> {
  const l = log(nodeId, topic);
  const r = await l.read(0, 64 * 1024 * 1024, { toLogEnd: false });
  const copy = Buffer.from(r.records);
  r.release?.();
  return copy;
}

async function caughtUp(topic: string, nodes: number[]): Promise<void> {
  await waitFor(`${topic} replicated to ${nodes}`, () => {
    const leo = nodes.map((n) => log(n, topic).logEndOffset);
    const hw = nodes.map((n) => log(n, topic).highWatermark);
    return leo.every((x) => x === leo[0]) && hw.every((x) => x === leo[0]);
  }, 15_000);
}

beforeAll(async () => {
  await h.start(1, { config: { 'broker.rack': 'a', 'replica.selector.class': 'org.apache.kafka.common.replica.RackAwareReplicaSelector' } });
  await h.start(2, { config: { 'broker.rack': 'b' } });
  await h.start(3, { config: { 'broker.rack': 'c' } });
});

afterAll(async () => {
  for (const c of conns) c.close();
  for (const c of clusters) await c.close();
  await closeAll();
});

describe('replication between brokers', () => {
  it('acks=all (our client) is acknowledged only once every ISR member has the records; followers are byte-identical', async () => {
    topicId('rep');
    await h.assign(assignment('rep', [1, 2, 3], 1));
    const cluster = new Cluster({ bootstrap: [{ host: h.broker(1).host, port: h.broker(1).port }], clientId: 'rep-test' });
    clusters.push(cluster);
    const behindAtAck: string[] = [];
    const producer = new Producer(cluster, {
      acks: -1,
      lingerMs: 1,
      batchSize: 512,
      onAcked: (ack) => {
        const end = Number(ack.baseOffset) + ack.count;
        for (const n of [2, 3]) if (log(n, 'rep').logEndOffset < end) behindAtAck.push(`broker ${n} at ${log(n, 'rep').logEndOffset} < ${end}`);
      },
    });
    await producer.prepareTopic('rep');
    for (let i = 0; i < 300; i++) producer.send({ topic: 'rep', partition: 0, key: Buffer.from(`k${i}`), value: Buffer.from(`value-${i}`) });
    await producer.flush();
    expect(producer.stats.acked).toBe(300);
    expect(behindAtAck).toEqual([]);
    await caughtUp('rep', [1, 2, 3]);
    expect(log(1, 'rep').logEndOffset).toBe(300);
    const leader = await committedBytes(1, 'rep');
    expect(leader.length).toBeGreaterThan(0);
    expect(await committedBytes(2, 'rep')).toEqual(leader);
    expect(await committedBytes(3, 'rep')).toEqual(leader);
    // The segment files themselves are identical (same batches, same offsets, same epochs).
    const seg = (n: number) => readFile(join(h.broker(n).dataDir, 'rep-0', '00000000000000000000.log'));
    expect(await seg(2)).toEqual(await seg(1));
    expect(await seg(3)).toEqual(await seg(1));
    for (const n of [1, 2, 3]) expect((await readFile(join(h.broker(n).dataDir, 'rep-0', 'leader-epoch-checkpoint'))).toString()).toBe('0\n1\n0 0\n');
  });

  it('acks=all from kafkajs waits for the followers too', async () => {
    const kafka = new Kafka({ clientId: 'rep-kafkajs', brokers: [h.broker(1).broker.context.advertisedHost + ':' + h.broker(1).port], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
    const producer = kafka.producer();
    await producer.connect();
    try {
      const before = log(1, 'rep').logEndOffset;
      const res = await producer.send({ topic: 'rep', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: 0, value: `kjs-${i}` })) });
      expect(res[0]!.errorCode).toBe(0);
      expect(Number(res[0]!.baseOffset)).toBe(before);
      // Acknowledged means in the ISR: both followers hold it already.
      expect(log(2, 'rep').logEndOffset).toBeGreaterThanOrEqual(before + 20);
      expect(log(3, 'rep').logEndOffset).toBeGreaterThanOrEqual(before + 20);
      expect(log(1, 'rep').highWatermark).toBe(before + 20);
    } finally {
      await producer.disconnect();
    }
  });

  it('a follower refuses produce and consumer fetch below v11 with NOT_LEADER_OR_FOLLOWER; a replica fetch from a follower too', async () => {
    expect((await produceRaw(2, 'rep', 1, ['x'])).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    const c = await connect(2);
    const id = topicIds.get('rep')!;
    const fetch = (version: number, replicaId: number) =>
      c.request(
        FetchApi,
        { ...(version >= 15 ? { replicaState: { replicaId } } : { replicaId }), maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, topics: [{ topic: 'rep', topicId: id, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] },
        { version },
      );
    expect((await fetch(10, -1)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await fetch(16, 3)).responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // KIP-392: a v11+ consumer may read a follower, up to the follower's high watermark.
    const fromFollower = (await fetch(12, -1)).responses[0]!.partitions[0]!;
    expect(fromFollower.errorCode).toBe(ErrorCode.NONE);
    expect(fromFollower.records!.length).toBeGreaterThan(0);
    expect(Number(fromFollower.highWatermark)).toBe(log(2, 'rep').highWatermark);
  });

  it('the leader names a same-rack follower as preferred read replica (RackAwareReplicaSelector)', async () => {
    const c = await connect(1);
    const fetch = (rackId: string) =>
      c.request(FetchApi, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, rackId, topics: [{ topic: 'rep', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }] }, { version: 12 });
    const inB = (await fetch('b')).responses[0]!.partitions[0]!;
    expect(inB.preferredReadReplica).toBe(2);
    expect(inB.records!.length).toBe(0);
    expect(Number(inB.highWatermark)).toBe(log(1, 'rep').highWatermark);
    const inA = (await fetch('a')).responses[0]!.partitions[0]!; // the leader's own rack
    expect(inA.preferredReadReplica).toBe(-1);
    expect(inA.records!.length).toBeGreaterThan(0);
    expect((await fetch('')).responses[0]!.partitions[0]!.preferredReadReplica).toBe(-1);
  });

  it('ISR shrinks after replica.lag.time.max.ms; min.insync.replicas=2 then refuses acks=all; the follower catches up and rejoins', async () => {
    topicId('minisr');
    // Topic-level min.insync.replicas, created on the leader before the assignment (its configs travel with it in Kafka).
    await h.broker(1).broker.context.logs.createTopic('minisr', { partitions: 1, topicId: topicIds.get('minisr')!, configs: { 'min.insync.replicas': '2' } });
    await h.assign(assignment('minisr', [1, 2], 1));
    expect((await produceRaw(1, 'minisr', -1, ['a', 'b'])).errorCode).toBe(ErrorCode.NONE);
    await caughtUp('minisr', [1, 2]);

    const dataDir2 = h.broker(2).dataDir;
    await h.stop(2);
    // As Kafka: a follower at the leader's end stays in sync however long it is silent (the controller
    // removes dead brokers); once the leader moves on, lagging longer than the lag time drops it.
    expect((await produceRaw(1, 'minisr', 1, ['leader-only'])).errorCode).toBe(ErrorCode.NONE);
    await waitFor('ISR shrink to [1]', () => h.current('minisr').isr.join() === '1', LAG_MS * 6);
    expect(h.isrChanges.some((c) => c.ok && c.request.topic === 'minisr' && c.request.newIsr.join() === '1')).toBe(true);
    expect(h.broker(1).broker.replicas.inSyncReplicas('minisr', 0)).toEqual([1]);
    // Refused before the append: nothing is written.
    const end = log(1, 'minisr').logEndOffset;
    expect((await produceRaw(1, 'minisr', -1, ['refused'])).errorCode).toBe(ErrorCode.NOT_ENOUGH_REPLICAS);
    expect(log(1, 'minisr').logEndOffset).toBe(end);
    // acks=1 still works; its records are not committed while the ISR is below the minimum.
    expect((await produceRaw(1, 'minisr', 1, ['only-leader'])).errorCode).toBe(ErrorCode.NONE);
    expect(log(1, 'minisr').highWatermark).toBe(2);

    await h.start(2, { dataDir: dataDir2, config: { 'broker.rack': 'b' } });
    await h.push();
    await waitFor('ISR expands to [1,2]', () => h.current('minisr').isr.join() === '1,2', 15_000);
    await caughtUp('minisr', [1, 2]);
    expect((await produceRaw(1, 'minisr', -1, ['after'])).errorCode).toBe(ErrorCode.NONE);
    expect(log(2, 'minisr').logEndOffset).toBe(log(1, 'minisr').logEndOffset);
    await caughtUp('minisr', [1, 2]);
    expect(await committedBytes(2, 'minisr')).toEqual(await committedBytes(1, 'minisr'));
  });

  it('a new leader: the old one becomes follower and truncates its unreplicated tail at the diverging epoch', async () => {
    topicId('div');
    await h.assign(assignment('div', [1, 2], 1));
    expect((await produceRaw(1, 'div', -1, ['r0', 'r1', 'r2', 'r3', 'r4'])).errorCode).toBe(ErrorCode.NONE);
    await caughtUp('div', [1, 2]);
    // Broker 2 loses its leader (offline partition state): it stops fetching.
    // (The controller bumps the leader epoch whenever the leader changes, to none too.)
    await h.broker(2).broker.replicas.applyAssignments([{ ...h.current('div'), leader: -1, leaderEpoch: 1, partitionEpoch: 1 }], h.endpoints());
    // The old leader takes writes nobody replicates (acks=1).
    expect((await produceRaw(1, 'div', 1, ['lost0', 'lost1', 'lost2'])).errorCode).toBe(ErrorCode.NONE);
    expect(log(1, 'div').logEndOffset).toBe(8);
    expect(log(1, 'div').highWatermark).toBe(5);
    expect(log(2, 'div').logEndOffset).toBe(5);

    // The controller elects 2 (in the ISR) at epoch 2; 1 becomes its follower.
    await h.assign(assignment('div', [1, 2], 2, 2, { isr: [2], partitionEpoch: 2 }));
    expect((await produceRaw(2, 'div', 1, ['new0', 'new1'])).errorCode).toBe(ErrorCode.NONE);
    await caughtUp('div', [1, 2]);
    expect(log(1, 'div').logEndOffset).toBe(7);
    expect(await committedBytes(1, 'div')).toEqual(await committedBytes(2, 'div'));
    const seg = (n: number) => readFile(join(h.broker(n).dataDir, 'div-0', '00000000000000000000.log'));
    expect(await seg(1)).toEqual(await seg(2));
    const values = (buf: Buffer) => buf.toString('latin1');
    expect(values(await seg(1))).not.toContain('lost');
    expect(values(await seg(1))).toContain('new1');
    for (const n of [1, 2]) expect((await readFile(join(h.broker(n).dataDir, 'div-0', 'leader-epoch-checkpoint'))).toString()).toBe('0\n2\n0 0\n2 5\n');
    // The follower rejoins the ISR once caught up.
    await waitFor('ISR expands to [2,1]', () => h.current('div').isr.length === 2, 15_000);
  });

  it('OffsetForLeaderEpoch answers as Kafka: epoch end offsets, unknown epochs, fencing, leadership', async () => {
    const leader = await connect(2);
    const ask = async (c: BrokerConnection, leaderEpoch: number, currentLeaderEpoch = -1, version = 4) =>
      (await c.request(OffsetForLeaderEpochApi, { replicaId: -1, topics: [{ topic: 'div', partitions: [{ partition: 0, currentLeaderEpoch, leaderEpoch }] }] }, { version })).topics[0]!.partitions[0]!;
    expect(await ask(leader, 0)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 5n });
    expect(await ask(leader, 2, 2)).toMatchObject({ errorCode: 0, leaderEpoch: 2, endOffset: 7n });
    // An epoch the leader never had: the largest below it, ending where the next one starts.
    expect(await ask(leader, 1)).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 5n });
    expect(await ask(leader, 7)).toMatchObject({ errorCode: 0, leaderEpoch: -1, endOffset: -1n });
    expect((await ask(leader, 0, 1)).errorCode).toBe(ErrorCode.FENCED_LEADER_EPOCH);
    expect((await ask(leader, 0, 5)).errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
    expect((await ask(await connect(1), 0)).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    expect((await ask(leader, 0, -1, 0)).endOffset).toBe(5n);
    const unknown = (await leader.request(OffsetForLeaderEpochApi, { replicaId: -1, topics: [{ topic: 'nope', partitions: [{ partition: 0, leaderEpoch: 0 }] }] })).topics[0]!.partitions[0]!;
    expect(unknown.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('acks=all times out with REQUEST_TIMED_OUT while an ISR member does not fetch; a replica removed from the assignment stops', async () => {
    topicId('slow');
    await h.assign(assignment('slow', [1, 3], 1));
    expect((await produceRaw(1, 'slow', -1, ['s0'])).errorCode).toBe(ErrorCode.NONE);
    await caughtUp('slow', [1, 3]);
    // Broker 3 stops fetching (its leader is offline as far as it knows); it is still in the ISR.
    await h.broker(3).broker.replicas.applyAssignments([{ ...h.current('slow'), leader: -1, leaderEpoch: 1, partitionEpoch: 1 }], h.endpoints());
    const r = await produceRaw(1, 'slow', -1, ['s1'], 300);
    expect(r.errorCode).toBe(ErrorCode.REQUEST_TIMED_OUT);
    expect(r.baseOffset).toBe(1n); // appended on the leader, not committed
    expect(log(1, 'slow').logEndOffset).toBe(2);
    expect(log(1, 'slow').highWatermark).toBe(1);

    // The controller moves the partition off broker 3: it stops serving it.
    await h.assign(assignment('slow', [1], 1, 2, { partitionEpoch: 5 }));
    expect(h.broker(3).broker.replicas.partitionState('slow', 0)?.role).toBe('none');
    expect((await produceRaw(3, 'slow', 1, ['x'])).errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
    // Alone in its ISR, the leader commits what it has.
    await waitFor('slow committed on 1', () => log(1, 'slow').highWatermark === 2, 5000);
    expect((await produceRaw(1, 'slow', -1, ['s2'])).errorCode).toBe(ErrorCode.NONE);
  });

  it('a partition the replica manager was never told about is served as on a single node', async () => {
    await h.broker(3).broker.context.logs.createTopic('solo', { partitions: 1 });
    expect(h.broker(3).broker.replicas.partitionState('solo', 0)).toBeUndefined();
    const r = await produceRaw(3, 'solo', -1, ['one', 'two']);
    expect(r.errorCode).toBe(ErrorCode.NONE);
    expect(log(3, 'solo').highWatermark).toBe(2);
    const c = await connect(3);
    const e = (await c.request(OffsetForLeaderEpochApi, { replicaId: -1, topics: [{ topic: 'solo', partitions: [{ partition: 0, leaderEpoch: 0 }] }] })).topics[0]!.partitions[0]!;
    expect(e).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 2n });
  });
});
