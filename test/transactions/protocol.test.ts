import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { RawClient, closeAll, startTestBroker } from '../helpers/index.ts';
import { AddOffsetsToTxnFacts, AddPartitionsToTxnFacts, EndTxnFacts, InitProducerIdFacts, OffsetFetchFacts, TxnOffsetCommitFacts } from '../../src/protocol/messages/api-facts.ts';

/**
 * Transaction APIs on the wire, where no client library lets us forge the request: AddPartitionsToTxn
 * per-partition errors, TxnOffsetCommit's KIP-447 fencing, pending transactional offsets (OffsetFetch
 * require_stable → UNSTABLE_OFFSET_COMMIT) and their reload from `__consumer_offsets` at restart.
 */

afterAll(closeAll);

describe('transaction APIs', () => {
  it('AddPartitionsToTxn names missing partitions; TxnOffsetCommit stays pending until COMMIT, survives a restart, and fences by generation', async () => {
    let b = await startTestBroker();
    const port = b.port;
    await b.broker.context.logs.createTopic('wire', { partitions: 1 });
    let c = await RawClient.connect(port);
    const init = await c.request(InitProducerIdFacts, 4, { transactionalId: 'wire-1', transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const { producerId, producerEpoch } = init;
    const txn = { v3AndBelowTransactionalId: 'wire-1', v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch };

    const bad = await c.request(AddPartitionsToTxnFacts, 3, { ...txn, v3AndBelowTopics: [{ name: 'wire', partitions: [0] }, { name: 'missing', partitions: [0] }] });
    const codes = Object.fromEntries(bad.resultsByTopicV3AndBelow.map((t: any) => [t.name, t.resultsByPartition[0].partitionErrorCode]));
    expect(codes).toEqual({ wire: ErrorCode.OPERATION_NOT_ATTEMPTED, missing: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });

    expect((await c.request(AddOffsetsToTxnFacts, 3, { transactionalId: 'wire-1', producerId, producerEpoch, groupId: 'wire-g' })).errorCode).toBe(0);
    const commit = (offset: bigint, extra: object = {}) =>
      c.request(TxnOffsetCommitFacts, 3, {
        transactionalId: 'wire-1', groupId: 'wire-g', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
        topics: [{ name: 'wire', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
        ...extra,
      });
    expect((await commit(5n)).topics[0].partitions[0].errorCode).toBe(0);
    // KIP-447: a member id / generation that does not match the group is refused (generation -1 on an
    // Empty group is the admin-style commit Kafka accepts whatever the member id).
    expect((await commit(6n, { memberId: 'ghost', generationId: 0 })).topics[0].partitions[0].errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await commit(6n, { generationId: 3 })).topics[0].partitions[0].errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    const fetchOffset = async (requireStable: boolean) => {
      const r = await c.request(OffsetFetchFacts, 7, { groupId: 'wire-g', topics: [{ name: 'wire', partitionIndexes: [0] }], requireStable });
      return { offset: r.topics[0].partitions[0].committedOffset as bigint, errorCode: r.topics[0].partitions[0].errorCode as number };
    };
    expect(await fetchOffset(false)).toEqual({ offset: -1n, errorCode: 0 });
    expect(await fetchOffset(true)).toEqual({ offset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });

    // Restart: the pending commit is reloaded from its transactional batch in __consumer_offsets.
    c.close();
    await b.close();
    b = await startTestBroker({ dataDir: b.dataDir, port });
    c = await RawClient.connect(port);
    expect(await fetchOffset(true)).toEqual({ offset: -1n, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT });
    expect((await c.request(EndTxnFacts, 3, { transactionalId: 'wire-1', producerId, producerEpoch, committed: true })).errorCode).toBe(0);
    await b.broker.context.transactions!.idle();
    expect(await fetchOffset(true)).toEqual({ offset: 5n, errorCode: 0 });

    // And after one more restart the commit marker keeps it committed.
    c.close();
    await b.close();
    b = await startTestBroker({ dataDir: b.dataDir, port });
    c = await RawClient.connect(port);
    expect(await fetchOffset(true)).toEqual({ offset: 5n, errorCode: 0 });
    c.close();
  }, 60_000);
});
