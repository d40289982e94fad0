/**
 * Broker settings reach storage: with a short retention and a fast retention check, old segments are
 * deleted on the broker's timer and ListOffsets earliest moves past them.
 */
import { afterAll, expect, it } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { closeAll, RawClient, startTestBroker } from '../helpers/index.ts';
import { ListOffsetsFacts, ProduceFacts } from '../../src/protocol/messages/api-facts.ts';

afterAll(closeAll);

it('log.retention.ms / log.segment.bytes / log.retention.check.interval.ms drive retention', async () => {
  const b = await startTestBroker({
    config: { 'log.retention.ms': '60000', 'log.segment.bytes': '200', 'log.retention.check.interval.ms': '100' },
  });
  const c = await RawClient.connect(b.port);
  try {
    const old = Date.now() - 3_600_000; // an hour old: past the one-minute retention
    for (let i = 0; i < 4; i++) {
      const ts = i < 3 ? old + i : Date.now();
      const records = encodeRecordBatch({ records: [{ value: `v${i}-${'x'.repeat(150)}`, timestamp: ts }] });
      const r = await c.request(ProduceFacts, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: 'ret', partitionData: [{ index: 0, records }] }] });
      expect(r.responses[0].partitionResponses[0].errorCode).toBe(0);
    }
    const earliest = async () =>
      (await c.request(ListOffsetsFacts, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'ret', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] }))
        .topics[0].partitions[0].offset as bigint;
    const deadline = Date.now() + 10_000;
    while ((await earliest()) !== 3n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await earliest()).toBe(3n); // the three old one-batch segments are gone; the recent one stays
    const log = b.broker.context.logs.partition('ret', 0)!;
    expect(log.logEndOffset).toBe(4);
  } finally {
    c.close();
  }
});
