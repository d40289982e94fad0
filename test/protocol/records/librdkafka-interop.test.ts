/**
 * Interop the other way round from the golden fixtures: batches WE encode (every codec, including
 * our own LZ4 frames and snappy blocks, large enough for several 64 KiB LZ4 blocks) are produced to
 * an in-process broker and consumed by kcat, i.e. decoded by librdkafka 2.0.2.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { closeAll, hasKcat, RawClient, runKcat, startTestBroker, type TestBroker } from '../../helpers/index.ts';
import { CreateTopicsFacts, ProduceFacts } from '../../../src/protocol/messages/api-facts.ts';

let b: TestBroker;
let c: RawClient;

beforeAll(async () => {
  if (!hasKcat) return;
  b = await startTestBroker();
  c = await RawClient.connect(b.port);
});
afterAll(async () => {
  c?.close();
  await closeAll();
});

const records = Array.from({ length: 60 }, (_, i) => ({
  key: `key-${i}`,
  // ~3 KiB each, partly repetitive and partly varying: ~180 KiB per batch, several LZ4 blocks.
  value: `value-${i}-` + 'abcdefghij'.repeat(150) + [...Array(150).keys()].map((k) => ((k * 7919 + i * 31) % 1000).toString(36)).join(''),
  headers: [
    { key: 'a', value: 'b' },
    { key: 'i', value: String(i) },
  ],
  timestamp: 1_700_000_000_000 + i,
}));

describe.skipIf(!hasKcat)('librdkafka (kcat) reads batches we encode', () => {
  for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const) {
    it(codec, async () => {
      const topic = `records-interop-${codec}`;
      const created = await c.request(CreateTopicsFacts, 7, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
      expect(created.topics[0].errorCode).toBe(0);
      const batch = encodeRecordBatch({ compression: codec, records });
      const produced = await c.request(ProduceFacts, 7, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
      expect(produced.responses[0].partitionResponses[0].errorCode).toBe(0);
      const out = await runKcat(['-b', b.bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%o|%k|%h|%s\n'], { timeoutMs: 20_000 });
      expect(out.code).toBe(0);
      expect(out.stdout.trimEnd().split('\n')).toEqual(records.map((r, i) => `${i}|${r.key}|a=b,i=${i}|${r.value}`));
    });
  }
});
