/**
 * The broker's handlers over a real socket, driven with the project's own codecs: what each API
 * answers, per version where versions differ. Independent clients (kcat, kafkajs) are in their own files.
 */
import { apisByName } from '../../src/protocol/messages/index.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRecordsBlob, encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import * as H from '../../src/protocol/records/batch-header.ts';
import { crc32 } from '../../src/protocol/records/legacy-message-set.ts';
import { closeAll, RawClient, settlesWithin, startTestBroker, type TestBroker } from '../helpers/index.ts';
import {
  AlterConfigsFacts, ApiVersionsFacts, CreatePartitionsFacts, CreateTopicsFacts, DeleteRecordsFacts, DeleteTopicsFacts,
  DescribeClusterFacts, DescribeConfigsFacts, FetchFacts, FindCoordinatorFacts, IncrementalAlterConfigsFacts,
  ListOffsetsFacts, MetadataFacts, ProduceFacts, SaslAuthenticateFacts, SaslHandshakeFacts,
} from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

let b: TestBroker;
let c: RawClient;

beforeAll(async () => {
  b = await startTestBroker({ config: { 'num.partitions': '2' } });
  c = await RawClient.connect(b.port);
});
afterAll(async () => {
  c?.close();
  await closeAll();
});

const batch = (values: string[], opts: { compression?: 'gzip' | 'zstd' | 'none'; timestamp?: number; producerId?: number; baseSequence?: number } = {}) =>
  encodeRecordBatch({
    compression: opts.compression ?? 'none',
    producerId: opts.producerId ?? -1,
    producerEpoch: opts.producerId === undefined ? -1 : 0,
    baseSequence: opts.baseSequence ?? -1,
    records: values.map((v, i) => ({ value: v, timestamp: (opts.timestamp ?? Date.now()) + i })),
  });

async function produce(topic: string, partition: number, records: Buffer | null, version = 7, acks = -1) {
  return c.request(ProduceFacts, version, { acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] }, { noResponse: acks === 0 });
}

async function createTopic(name: string, partitions = 1, configs: { name: string; value: string }[] = []) {
  const r = await c.request(CreateTopicsFacts, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs }], timeoutMs: 1000, validateOnly: false });
  expect(r.topics[0].errorCode).toBe(0);
  return r.topics[0];
}

describe('ApiVersions', () => {
  it('lists exactly the handler table, with the required fixed versions for librdkafka', async () => {
    const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: 'kstream-test', clientSoftwareVersion: '1.0' });
    expect(r.errorCode).toBe(0);
    const byKey = new Map(r.apiKeys.map((k: any) => [k.apiKey, k]));
    expect(byKey.size).toBe(b.broker.context.handlers.length);
    const range = (k: number) => [(byKey.get(k) as any).minVersion, (byKey.get(k) as any).maxVersion];
    expect(range(ProduceFacts.key)[0]).toBeLessThanOrEqual(3); // ∋ 3 (MsgVer2)
    expect(range(ProduceFacts.key)[1]).toBeGreaterThanOrEqual(7); // ∋ 7 (zstd)
    expect(range(FetchFacts.key)[0]).toBeLessThanOrEqual(4); // ∋ 4
    expect(range(FetchFacts.key)[1]).toBeGreaterThanOrEqual(10); // ∋ 10 (zstd)
    expect(range(ApiVersionsFacts.key)).toEqual([0, 4]);
  });

  it('answers v0, v1, v2 and v4', async () => {
    for (const v of [0, 1, 2, 4]) {
      const r = await c.request(ApiVersionsFacts, v, { clientSoftwareName: 'x', clientSoftwareVersion: '1' });
      expect(r.errorCode).toBe(0);
      expect(r.apiKeys.length).toBeGreaterThan(5);
    }
  });

  it('v3 with a malformed software name gets INVALID_REQUEST (42)', async () => {
    const r = await c.request(ApiVersionsFacts, 3, { clientSoftwareName: '-bad name', clientSoftwareVersion: '1.0' });
    expect(r.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('SASL (not enabled)', () => {
  it('SaslHandshake and SaslAuthenticate answer ILLEGAL_SASL_STATE, as a Kafka plaintext listener', async () => {
    for (const v of [0, 1]) {
      expect(await c.request(SaslHandshakeFacts, v, { mechanism: 'PLAIN' })).toMatchObject({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] });
    }
    for (const v of [0, 2]) {
      expect((await c.request(SaslAuthenticateFacts, v, { authBytes: Buffer.from('x') })).errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
    }
  });
});

describe('Metadata', () => {
  it('names this broker as the only broker and the controller, with the cluster id', async () => {
    for (const v of [1, 4, 9, 12]) {
      const r = await c.request(MetadataFacts, v, v >= 4 ? { topics: [], allowAutoTopicCreation: false } : { topics: [] });
      expect(r.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: '127.0.0.1', port: b.port })]);
      expect(r.controllerId).toBe(1);
      if (v >= 2) expect(r.clusterId).toBe(b.broker.context.clusterId);
    }
  });

  it('auto-creates a requested topic with num.partitions, with a real topic id (v10+)', async () => {
    const r = await c.request(MetadataFacts, 12, { topics: [{ name: 'auto-md', topicId: 'AAAAAAAAAAAAAAAAAAAAAA' }], allowAutoTopicCreation: true });
    const t = r.topics[0];
    expect(t.errorCode).toBe(0);
    expect(t.partitions.map((p: any) => p.partitionIndex)).toEqual([0, 1]);
    expect(t.partitions[0]).toMatchObject({ leaderId: 1, replicaNodes: [1], isrNodes: [1], offlineReplicas: [] });
    expect(t.topicId).not.toBe('AAAAAAAAAAAAAAAAAAAAAA');
    expect(t.topicId).toBe(b.broker.context.logs.getTopic('auto-md')!.topicId);
  });

  it('does not auto-create when the request forbids it (v4+)', async () => {
    const r = await c.request(MetadataFacts, 4, { topics: [{ name: 'no-auto' }], allowAutoTopicCreation: false });
    expect(r.topics[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect(b.broker.context.logs.hasTopic('no-auto')).toBe(false);
  });

  it('reports an illegal topic name as INVALID_TOPIC_EXCEPTION (17)', async () => {
    const r = await c.request(MetadataFacts, 4, { topics: [{ name: 'bad/name' }], allowAutoTopicCreation: true });
    expect(r.topics[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
  });

  it('v0 empty list and v1+ null mean all topics; v1+ empty means none', async () => {
    await createTopic('md-all');
    const v0 = await c.request(MetadataFacts, 0, { topics: [] });
    expect(v0.topics.map((t: any) => t.name)).toContain('md-all');
    const v1all = await c.request(MetadataFacts, 1, { topics: null });
    expect(v1all.topics.map((t: any) => t.name)).toContain('md-all');
    const v1none = await c.request(MetadataFacts, 1, { topics: [] });
    expect(v1none.topics).toEqual([]);
  });

  it('looks topics up by id (v10+) and answers UNKNOWN_TOPIC_ID for an unknown id', async () => {
    const created = await createTopic('md-by-id');
    const r = await c.request(MetadataFacts, 12, { topics: [{ name: null, topicId: created.topicId }, { name: null, topicId: 'AAAAAAAAAAAAAAAAAAAAAQ' }] });
    expect(r.topics[0]).toMatchObject({ errorCode: 0, name: 'md-by-id' });
    expect(r.topics[1].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });
});

describe('Produce and Fetch', () => {
  it('appends, assigns offsets and fetches the batches back byte for byte (apart from offset and epoch)', async () => {
    await createTopic('pf', 1);
    const sent = batch(['a', 'b', 'c']);
    const original = Buffer.from(sent);
    const r1 = await produce('pf', 0, sent);
    expect(r1.responses[0].partitionResponses[0]).toMatchObject({ index: 0, errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n });
    const r2 = await produce('pf', 0, batch(['d']));
    expect(r2.responses[0].partitionResponses[0].baseOffset).toBe(3n);

    const f = await c.request(FetchFacts, 11, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'pf', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    const p = f.responses[0].partitions[0];
    expect(p).toMatchObject({ errorCode: 0, highWatermark: 4n, lastStableOffset: 4n, logStartOffset: 0n });
    const records = decodeRecordsBlob(p.records);
    expect(records.map((x) => [x.offset, x.value!.toString()])).toEqual([[0, 'a'], [1, 'b'], [2, 'c'], [3, 'd']]);
    // The stored batch is the producer's, with only baseOffset and partitionLeaderEpoch (outside the CRC) changed.
    const first = p.records.subarray(0, H.batchSize(p.records));
    expect(first.subarray(H.MAGIC)).toEqual(original.subarray(H.MAGIC));
    expect(H.crcMatches(first)).toBe(true);
  });

  it('stamps maxTimestamp when a client sends -1 (Sarama) and LogAppendTime when the topic says so', async () => {
    await createTopic('ts-create', 1);
    const sent = batch(['x', 'y'], { timestamp: 1_600_000_000_000 });
    sent.writeBigInt64BE(-1n, H.MAX_TIMESTAMP);
    sent.writeUInt32BE(H.computeCrc(sent), H.CRC);
    await produce('ts-create', 0, sent);
    const log = b.broker.context.logs.partition('ts-create', 0)!;
    const stored = (await log.read(0, 1 << 20)).records;
    expect(H.maxTimestamp(stored)).toBe(1_600_000_000_001);
    expect(H.crcMatches(stored)).toBe(true);

    await createTopic('ts-append', 1, [{ name: 'message.timestamp.type', value: 'LogAppendTime' }]);
    const before = Date.now();
    const r = await produce('ts-append', 0, batch(['z']));
    const at = Number(r.responses[0].partitionResponses[0].logAppendTimeMs);
    expect(at).toBeGreaterThanOrEqual(before);
    const appended = (await b.broker.context.logs.partition('ts-append', 0)!.read(0, 1 << 20)).records;
    expect(H.isLogAppendTime(appended)).toBe(true);
    expect(H.maxTimestamp(appended)).toBe(at);
  });

  it('rejects bad batches per partition with Kafka\'s codes', async () => {
    await createTopic('bad', 1);
    const corrupt = batch(['a']);
    corrupt[corrupt.length - 1] ^= 0xff;
    expect((await produce('bad', 0, corrupt)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
    const two = Buffer.concat([batch(['a']), batch(['b'])]);
    expect((await produce('bad', 0, two)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await produce('bad', 0, batch(['z'], { compression: 'zstd' }), 3)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    expect((await produce('bad', 0, batch(['z'], { compression: 'zstd' }), 7)).responses[0].partitionResponses[0].errorCode).toBe(0);
    expect((await produce('bad', 5, batch(['a']))).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const r = await c.request(ProduceFacts, 9, { acks: 2, timeoutMs: 1000, topicData: [{ name: 'bad', partitionData: [{ index: 0, records: batch(['a']) }] }] });
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
    const v8 = await produce('bad', 0, corrupt, 8);
    expect(v8.responses[0].partitionResponses[0].errorMessage).toMatch(/crc|CRC/);
  });

  it('answers MESSAGE_TOO_LARGE above the topic max.message.bytes', async () => {
    await createTopic('small', 1, [{ name: 'max.message.bytes', value: '200' }]);
    const r = await produce('small', 0, batch(['x'.repeat(500)]));
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.MESSAGE_TOO_LARGE);
  });

  it('auto-creates the topic of a Produce', async () => {
    const r = await produce('auto-produce', 0, batch(['a']));
    expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    expect(b.broker.context.logs.getTopic('auto-produce')!.partitionCount).toBe(2);
  });

  it('sends no response to acks=0 and still appends', async () => {
    await createTopic('acks0', 1);
    const framesBefore = c.frames.length;
    await produce('acks0', 0, batch(['fire', 'forget']), 7, 0);
    // A request behind it is answered; nothing was answered for the acks=0 one.
    const md = await c.request(MetadataFacts, 1, { topics: [] });
    expect(md.brokers.length).toBe(1);
    expect(c.frames.length).toBe(framesBefore + 1);
    expect(b.broker.context.logs.partition('acks0', 0)!.logEndOffset).toBe(2);
  });

  it('lists every requested partition, unknown ones with an error, in order', async () => {
    await createTopic('multi', 3);
    await produce('multi', 1, batch(['one']));
    const f = await c.request(FetchFacts, 7, { maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [
      { topic: 'multi', partitions: [0, 1, 2, 7].map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20 })) },
      { topic: 'nope', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 }] },
    ], forgottenTopicsData: [] });
    expect(f.sessionId).toBe(0);
    expect(f.responses[0].partitions.map((p: any) => [p.partitionIndex, p.errorCode, p.highWatermark])).toEqual([[0, 0, 0n], [1, 0, 1n], [2, 0, 0n], [7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n]]);
    expect(f.responses[0].partitions[0].records?.length ?? 0).toBe(0);
    expect(f.responses[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('answers OFFSET_OUT_OF_RANGE past the log end', async () => {
    await createTopic('oor', 1);
    await produce('oor', 0, batch(['a']));
    const f = await c.request(FetchFacts, 4, { maxWaitMs: 0, minBytes: 1, maxBytes: 1000, isolationLevel: 0, topics: [{ topic: 'oor', partitions: [{ partition: 0, fetchOffset: 5n, partitionMaxBytes: 1000 }] }] });
    // As Kafka's ReplicaManager (createLogReadResult): offsets unknown (-1), an empty record set.
    expect(f.responses[0].partitions[0]).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1n });
    expect(f.responses[0].partitions[0].records.length).toBe(0);
  });

  it('long-polls until an append arrives (woken, not timed out)', async () => {
    await createTopic('poll', 1);
    const c2 = await RawClient.connect(b.port);
    try {
      const started = Date.now();
      const pending = c2.request(FetchFacts, 11, { maxWaitMs: 20_000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'poll', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
      await new Promise((r) => setTimeout(r, 100));
      await produce('poll', 0, batch(['wake']));
      const f = await pending;
      expect(decodeRecordsBlob(f.responses[0].partitions[0].records).map((r) => r.value!.toString())).toEqual(['wake']);
      // Woken by the append: far below the 20 s MaxWaitMs (the test's own timeout would fire first).
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      c2.close();
    }
  });

  it('returns after MaxWaitMs with an empty partition when nothing arrives', async () => {
    await createTopic('idle', 1);
    const f = await c.request(FetchFacts, 11, { maxWaitMs: 50, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'idle', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [], rackId: '' });
    expect(f.responses[0].partitions[0]).toMatchObject({ errorCode: 0, highWatermark: 0n });
  });

  it('gives at least one whole batch even above maxBytes (KIP-74), and respects partition max bytes otherwise', async () => {
    await createTopic('big', 1);
    await produce('big', 0, batch(['x'.repeat(3000)]));
    await produce('big', 0, batch(['y'.repeat(3000)]));
    const f = await c.request(FetchFacts, 11, { maxWaitMs: 0, minBytes: 1, maxBytes: 100, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'big', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100 }] }], forgottenTopicsData: [], rackId: '' });
    const recs = decodeRecordsBlob(f.responses[0].partitions[0].records);
    expect(recs.map((r) => r.offset)).toEqual([0]);
  });

  it('answers UNSUPPORTED_COMPRESSION_TYPE for zstd data to a fetcher below v10', async () => {
    await createTopic('zstd', 1);
    await produce('zstd', 0, batch(['z'], { compression: 'zstd' }), 7);
    const req = { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'zstd', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] }], forgottenTopicsData: [] };
    expect((await c.request(FetchFacts, 9, req)).responses[0].partitions[0].errorCode).toBe(ErrorCode.UNSUPPORTED_COMPRESSION_TYPE);
    const ok = await c.request(FetchFacts, 10, req);
    expect(decodeRecordsBlob(ok.responses[0].partitions[0].records).map((r) => r.value!.toString())).toEqual(['z']);
  });

  it('fetches by topic id from v13 and answers UNKNOWN_TOPIC_ID for an unknown id', async () => {
    const t = await createTopic('by-id', 1);
    await produce('by-id', 0, batch(['id']));
    const f = await c.request(FetchFacts, 16, { maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [
      { topicId: t.topicId, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
      { topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20 }] },
    ], forgottenTopicsData: [], rackId: '' });
    expect(f.responses[0].topicId).toBe(t.topicId);
    expect(decodeRecordsBlob(f.responses[0].partitions[0].records).map((r) => r.value!.toString())).toEqual(['id']);
    expect(f.responses[1].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
  });

  it('declines fetch sessions it never created with FETCH_SESSION_ID_NOT_FOUND', async () => {
    const f = await c.request(FetchFacts, 11, { maxWaitMs: 0, minBytes: 0, maxBytes: 100, isolationLevel: 0, sessionId: 1234, sessionEpoch: 3, topics: [], forgottenTopicsData: [], rackId: '' });
    expect(f.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  });

  it('detects retried idempotent batches and out-of-order sequences', async () => {
    await createTopic('idem', 1);
    const first = await produce('idem', 0, batch(['a', 'b'], { producerId: 42, baseSequence: 0 }));
    expect(first.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const dup = await produce('idem', 0, batch(['a', 'b'], { producerId: 42, baseSequence: 0 }));
    expect(dup.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(b.broker.context.logs.partition('idem', 0)!.logEndOffset).toBe(2);
    const gap = await produce('idem', 0, batch(['c'], { producerId: 42, baseSequence: 5 }));
    expect(gap.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
  });
});

const NOW = Date.now();

/** A legacy (magic 0/1) message set entry, as pre-0.11 clients send in Produce v0–2. */
function legacyMessage(magic: 0 | 1, value: string, timestamp = NOW): Buffer {
  const v = Buffer.from(value);
  const body = Buffer.alloc(1 + 1 + (magic === 1 ? 8 : 0) + 4 + 4 + v.length);
  let p = 0;
  body.writeInt8(magic, p++);
  body.writeInt8(0, p++);
  if (magic === 1) {
    body.writeBigInt64BE(BigInt(timestamp), p);
    p += 8;
  }
  body.writeInt32BE(-1, p); // null key
  p += 4;
  body.writeInt32BE(v.length, p);
  v.copy(body, p + 4);
  const head = Buffer.alloc(16);
  head.writeBigInt64BE(0n, 0);
  head.writeInt32BE(4 + body.length, 8);
  head.writeUInt32BE(crc32(body), 12);
  return Buffer.concat([head, body]);
}

describe('Produce v0–2 (legacy message sets)', () => {
  it('converts magic 0/1 messages to a magic-2 batch', async () => {
    await createTopic('legacy', 1);
    const v2 = await produce('legacy', 0, Buffer.concat([legacyMessage(1, 'one'), legacyMessage(1, 'two', NOW + 5)]), 2);
    expect(v2.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const v0 = await produce('legacy', 0, legacyMessage(0, 'three'), 0);
    expect(v0.responses[0].partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2n });
    const stored = (await b.broker.context.logs.partition('legacy', 0)!.read(0, 1 << 20)).records;
    const recs = decodeRecordsBlob(stored);
    expect(recs.map((r) => [r.offset, r.value!.toString()])).toEqual([[0, 'one'], [1, 'two'], [2, 'three']]);
    expect(recs[1]!.timestamp).toBe(NOW + 5);
    expect(H.magic(stored)).toBe(2);
  });

  it('rejects a magic-2 batch in Produce v2 and a corrupt legacy message', async () => {
    await createTopic('legacy-bad', 1);
    expect((await produce('legacy-bad', 0, batch(['x']), 2)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_RECORD);
    const bad = legacyMessage(1, 'x');
    bad[bad.length - 1] ^= 1;
    expect((await produce('legacy-bad', 0, bad, 1)).responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.CORRUPT_MESSAGE);
  });
});

describe('ListOffsets', () => {
  it('earliest, latest, by timestamp and max timestamp', async () => {
    await createTopic('lo', 1);
    await produce('lo', 0, batch(['a', 'b'], { timestamp: 1000 }));
    await produce('lo', 0, batch(['c'], { timestamp: 5000 }));
    await produce('lo', 0, batch(['d'], { timestamp: 3000 }));
    const ask = async (timestamp: bigint, v = 7) =>
      (await c.request(ListOffsetsFacts, v, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] })).topics[0].partitions[0];
    expect(await ask(-2n)).toMatchObject({ errorCode: 0, offset: 0n });
    expect(await ask(-1n)).toMatchObject({ errorCode: 0, offset: 4n, leaderEpoch: 0 });
    expect(await ask(1001n)).toMatchObject({ offset: 1n, timestamp: 1001n });
    expect(await ask(4000n)).toMatchObject({ offset: 2n, timestamp: 5000n });
    expect(await ask(9000n)).toMatchObject({ offset: -1n, timestamp: -1n });
    expect(await ask(-3n)).toMatchObject({ offset: 2n, timestamp: 5000n });
    expect(await ask(-1n, 1)).toMatchObject({ errorCode: 0, offset: 4n });
    expect(await ask(-4n, 8)).toMatchObject({ errorCode: 0, offset: 0n });
    expect(await ask(-5n, 9)).toMatchObject({ errorCode: 0, offset: -1n, timestamp: -1n });
    expect(await ask(-4n, 7)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST });
  });

  it('UNKNOWN_TOPIC_OR_PARTITION for a missing partition', async () => {
    const r = await c.request(ListOffsetsFacts, 3, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'lo-missing', partitions: [{ partitionIndex: 0, timestamp: -1n }] }] });
    expect(r.topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe('topic administration', () => {
  it('CreateTopics: defaults, configs, validateOnly, duplicates and existing topics', async () => {
    const r = await c.request(CreateTopicsFacts, 7, { topics: [
      { name: 'ct-default', numPartitions: -1, replicationFactor: -1, assignments: [], configs: [] },
      { name: 'ct-config', numPartitions: 3, replicationFactor: 3, assignments: [], configs: [{ name: 'retention.ms', value: '1000' }] },
      { name: 'ct-validate', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
    ], timeoutMs: 1000, validateOnly: false });
    expect(r.topics.map((t: any) => [t.name, t.errorCode, t.numPartitions, t.replicationFactor])).toEqual([
      ['ct-default', 0, 2, 1], ['ct-config', 0, 3, 1], ['ct-validate', 0, 1, 1],
    ]);
    expect(r.topics[1].configs.find((x: any) => x.name === 'retention.ms')).toMatchObject({ value: '1000', configSource: 1 });
    const again = await c.request(CreateTopicsFacts, 4, { topics: [
      { name: 'ct-default', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-dup', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: 'ct-badcfg', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: 'no.such', value: '1' }] },
      { name: 'ct-rf0', numPartitions: 1, replicationFactor: 0, assignments: [], configs: [] },
      { name: 'ct-p0', numPartitions: 0, replicationFactor: 1, assignments: [], configs: [] },
    ], timeoutMs: 1000, validateOnly: false });
    expect(again.topics.map((t: any) => t.errorCode)).toEqual([
      ErrorCode.TOPIC_ALREADY_EXISTS, ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST,
      ErrorCode.INVALID_CONFIG, ErrorCode.INVALID_REPLICATION_FACTOR, ErrorCode.INVALID_PARTITIONS,
    ]);
    const dry = await c.request(CreateTopicsFacts, 5, { topics: [{ name: 'ct-dry', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: true });
    expect(dry.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 4 });
    expect(b.broker.context.logs.hasTopic('ct-dry')).toBe(false);
  });

  it('DeleteTopics by name (v1) and by id (v6)', async () => {
    const t = await createTopic('del-id', 1);
    await createTopic('del-name', 1);
    const r1 = await c.request(DeleteTopicsFacts, 1, { topicNames: ['del-name', 'del-missing'], timeoutMs: 1000 });
    expect(r1.responses.map((x: any) => [x.name, x.errorCode])).toEqual([['del-name', 0], ['del-missing', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const r6 = await c.request(DeleteTopicsFacts, 6, { topics: [{ name: null, topicId: t.topicId }], timeoutMs: 1000 });
    expect(r6.responses[0]).toMatchObject({ name: 'del-id', errorCode: 0, topicId: t.topicId });
    expect(b.broker.context.logs.hasTopic('del-id')).toBe(false);
  });

  it('refuses client writes to and deletion of the internal __consumer_offsets topic', async () => {
    const p = await produce('__consumer_offsets', 0, batch(['x']));
    expect(p.responses[0].partitionResponses[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    const d = await c.request(DeleteTopicsFacts, 5, { topicNames: ['__consumer_offsets'], timeoutMs: 1000 });
    expect(d.responses[0].errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
    expect(b.broker.context.logs.hasTopic('__consumer_offsets')).toBe(true);
  });

  it('CreatePartitions grows a topic and refuses to shrink it', async () => {
    await createTopic('grow', 1);
    const r = await c.request(CreatePartitionsFacts, 3, { topics: [{ name: 'grow', count: 3, assignments: null }, { name: 'grow-missing', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(r.results.map((x: any) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    expect(b.broker.context.logs.getTopic('grow')!.partitionCount).toBe(3);
    const shrink = await c.request(CreatePartitionsFacts, 1, { topics: [{ name: 'grow', count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(shrink.results[0].errorCode).toBe(ErrorCode.INVALID_PARTITIONS);
  });

  it('DescribeConfigs, AlterConfigs and IncrementalAlterConfigs on a topic', async () => {
    await createTopic('cfg', 1, [{ name: 'retention.ms', value: '5000' }]);
    const d = await c.request(DescribeConfigsFacts, 4, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: true, includeDocumentation: true });
    const byName = Object.fromEntries(d.results[0].configs.map((x: any) => [x.name, x]));
    expect(byName['retention.ms']).toMatchObject({ value: '5000', configSource: 1 });
    expect(byName['retention.ms'].synonyms[0]).toMatchObject({ name: 'retention.ms', value: '5000', source: 1 });
    expect(byName['cleanup.policy']).toMatchObject({ value: 'delete', configSource: 5 });
    const v0 = await c.request(DescribeConfigsFacts, 0, { resources: [{ resourceType: 2, resourceName: 'cfg', configurationKeys: null }] });
    expect(v0.results[0].configs.find((x: any) => x.name === 'segment.bytes').isDefault).toBe(true);

    const inc = await c.request(IncrementalAlterConfigsFacts, 1, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'cleanup.policy', configOperation: 2, value: 'compact' }, { name: 'retention.ms', configOperation: 1, value: null }] }], validateOnly: false });
    expect(inc.responses[0].errorCode).toBe(0);
    expect(b.broker.context.logs.getTopic('cfg')!.configs).toEqual({ 'cleanup.policy': 'delete,compact' });

    const alter = await c.request(AlterConfigsFacts, 1, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'segment.bytes', value: '100000' }] }], validateOnly: false });
    expect(alter.responses[0].errorCode).toBe(0);
    expect(b.broker.context.logs.getTopic('cfg')!.configs).toEqual({ 'segment.bytes': '100000' });

    const bad = await c.request(AlterConfigsFacts, 1, { resources: [{ resourceType: 2, resourceName: 'cfg', configs: [{ name: 'segment.bytes', value: 'lots' }] }], validateOnly: false });
    expect(bad.responses[0].errorCode).toBe(ErrorCode.INVALID_CONFIG);
    const broker = await c.request(AlterConfigsFacts, 0, { resources: [{ resourceType: 4, resourceName: '1', configs: [{ name: 'num.partitions', value: '4' }] }], validateOnly: false });
    expect(broker.responses[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('DescribeConfigs on the broker lists its settings with their sources', async () => {
    const d = await c.request(DescribeConfigsFacts, 3, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['num.partitions', 'log.retention.hours'] }], includeSynonyms: false, includeDocumentation: false });
    const byName = Object.fromEntries(d.results[0].configs.map((x: any) => [x.name, x]));
    expect(byName['num.partitions']).toMatchObject({ value: '2', configSource: 4, readOnly: true });
    expect(byName['log.retention.hours']).toMatchObject({ value: '168', configSource: 5 });
    const wrong = await c.request(DescribeConfigsFacts, 1, { resources: [{ resourceType: 4, resourceName: '7', configurationKeys: null }], includeSynonyms: false });
    expect(wrong.results[0].errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });

  it('DescribeCluster names this node as broker and controller', async () => {
    const r = await c.request(DescribeClusterFacts, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(r).toMatchObject({ errorCode: 0, clusterId: b.broker.context.clusterId, controllerId: 1, brokers: [{ brokerId: 1, host: '127.0.0.1', port: b.port }] });
  });

  it('DeleteRecords moves the log start offset', async () => {
    await createTopic('dr', 1);
    await produce('dr', 0, batch(['a', 'b', 'c']));
    const r = await c.request(DeleteRecordsFacts, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 2n }] }], timeoutMs: 1000 });
    expect(r.topics[0].partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 2n });
    const lo = await c.request(ListOffsetsFacts, 5, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] });
    expect(lo.topics[0].partitions[0].offset).toBe(2n);
    const past = await c.request(DeleteRecordsFacts, 0, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: 99n }] }], timeoutMs: 1000 });
    expect(past.topics[0].partitions[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });
});

describe('advertised address', () => {
  it('Metadata, FindCoordinator and DescribeCluster name the advertised host and port', async () => {
    const other = await startTestBroker({ advertisedHost: 'kafka.example.internal', advertisedPort: 19092 });
    const oc = await RawClient.connect(other.port);
    try {
      const md = await oc.request(MetadataFacts, 9, { topics: null });
      expect(md.brokers).toEqual([expect.objectContaining({ nodeId: 1, host: 'kafka.example.internal', port: 19092 })]);
      const fc = await oc.request(FindCoordinatorFacts, 1, { key: 'g', keyType: 0 });
      expect(fc).toMatchObject({ errorCode: 0, nodeId: 1, host: 'kafka.example.internal', port: 19092 });
      const dc = await oc.request(DescribeClusterFacts, 0, { includeClusterAuthorizedOperations: false });
      expect(dc.brokers[0]).toMatchObject({ host: 'kafka.example.internal', port: 19092 });
    } finally {
      oc.close();
      await other.close();
    }
  });
});

describe('connections', () => {
  it('20 000 pipelined quick requests in one write are all answered, in order (no recursion per request)', async () => {
    const { encodeRequestFrame } = await import('../../src/protocol/headers.ts');
    const c5 = await RawClient.connect(b.port);
    try {
      c5.writeRaw(Buffer.concat(Array.from({ length: 20_000 }, (_, i) => encodeRequestFrame(apisByName.ApiVersions, 0, i + 1, 'x', {}))));
      const deadline = Date.now() + 20_000;
      while (c5.frames.length < 20_000 && Date.now() < deadline && !(await settlesWithin(c5.closed, 10))) {}
      expect(c5.frames.length).toBe(20_000);
      expect(c5.frames.every((f, i) => f.readInt32BE(0) === i + 1)).toBe(true);
    } finally {
      c5.close();
    }
  });

  it('a client that sends 3000 requests without reading gets all answers, in order, once it reads', async () => {
    const c4 = await RawClient.connect(b.port);
    try {
      c4.socket.pause(); // not reading: the broker's writes back up and it must stop reading too
      const first = c4.peekCorrelationId;
      const pending = Array.from({ length: 3000 }, () => c4.request(MetadataFacts, 9, { topics: null }));
      await new Promise((r) => setTimeout(r, 300));
      c4.socket.resume();
      await Promise.all(pending);
      expect(c4.frames.length).toBe(3000);
      expect(c4.frames.every((f, i) => f.readInt32BE(0) === first + i)).toBe(true);
    } finally {
      c4.close();
    }
  });

  it('answers pipelined requests in request order', async () => {
    await createTopic('pipe', 1);
    const c3 = await RawClient.connect(b.port);
    try {
      const first = c3.peekCorrelationId;
      // A slow long-poll first, then quick requests behind it: responses must still come in order.
      const slow = c3.request(FetchFacts, 11, { maxWaitMs: 300, minBytes: 1, maxBytes: 1000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: 'pipe', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1000 }] }], forgottenTopicsData: [], rackId: '' });
      const quick = [1, 2, 3, 4, 5].map(() => c3.request(ApiVersionsFacts, 2, {}));
      const md = c3.request(MetadataFacts, 9, { topics: null });
      await Promise.all([slow, ...quick, md]);
      expect(c3.frames.map((f) => f.readInt32BE(0))).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => first + i));
    } finally {
      c3.close();
    }
  });
});
