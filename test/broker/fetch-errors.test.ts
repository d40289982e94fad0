/**
 * Fetch answers for partitions that carry an error (issue 13.1). Kafka sends such a partition with an
 * empty record set, never a null one: librdkafka rejects a whole Fetch response that holds a null
 * record set ("invalid MessageSetSize -1"), never sees the error and refetches in a tight loop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, RawClient, runKcat, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { FetchFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

let b: TestBroker;

beforeAll(async () => {
  b = await startTestBroker();
});
afterAll(closeAll);

describe.skipIf(!hasKcat)(`fetch errors with kcat${hasKcat ? '' : ' (skipped: kcat is not installed)'}`, () => {
  it('-o 100 -e past the end of a 5-record topic resets (latest by default) and exits', async () => {
    const p = await runKcat(['-b', b.bootstrap, '-P', '-t', 'oor'], { input: 'a\nb\nc\nd\ne\n' });
    expect(p.code).toBe(0);
    const c = await runKcat(['-b', b.bootstrap, '-C', '-t', 'oor', '-p', '0', '-o', '100', '-e', '-q'], { timeoutMs: 15_000 });
    expect(c.code).toBe(0);
    expect(c.stdout).toBe('');
  });

  it('-o 100 -e with auto.offset.reset=earliest resets to the start and reads all 5 records', async () => {
    const p = await runKcat(['-b', b.bootstrap, '-P', '-t', 'oor2'], { input: 'a\nb\nc\nd\ne\n' });
    expect(p.code).toBe(0);
    const c = await runKcat(
      ['-b', b.bootstrap, '-C', '-t', 'oor2', '-p', '0', '-o', '100', '-e', '-q', '-X', 'topic.auto.offset.reset=earliest', '-f', '%o:%s\n'],
      { timeoutMs: 15_000 },
    );
    expect(c.code).toBe(0);
    expect(c.stdout.trimEnd().split('\n')).toEqual(['0:a', '1:b', '2:c', '3:d', '4:e']);
  });
});

describe('error partitions carry an empty record set, as Kafka sends', () => {
  it.each([4, 11, 12, 17])('Fetch v%i: OFFSET_OUT_OF_RANGE and UNKNOWN_TOPIC_OR_PARTITION partitions have records of length 0', async (v) => {
    await b.broker.context.logs.createTopic(`empty-${v}`, { partitions: 1 }).catch(() => undefined);
    const c = await RawClient.connect(b.port);
    try {
      const topicId = b.broker.context.logs.getTopic(`empty-${v}`)!.topicId;
      const partition = (p: number, offset: bigint) => ({
        partition: p, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20,
      });
      const res = await c.request(FetchFacts, v, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: `empty-${v}`, topicId, partitions: [partition(0, 100n), partition(7, 0n)] }],
        forgottenTopicsData: [], rackId: '',
      });
      const parts = res.responses[0].partitions;
      expect(parts.map((p: { errorCode: number }) => p.errorCode)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
      for (const p of parts) {
        // As Kafka's ReplicaManager for a failed read: offsets unknown, no aborted-transaction list.
        expect(p.highWatermark).toBe(-1n);
        if (v >= 4) expect(p.abortedTransactions).toBeNull();
        expect(p.records).not.toBeNull();
        expect(p.records.length).toBe(0);
      }
    } finally {
      c.close();
    }
  });
});
