import * as H from '../protocol/records/batch-header.ts';
import { StorageError } from '../storage/errors.ts';
import type { ProducerStateHook } from '../storage/partition-log.ts';
import { lastSequenceOf, ProducerStateManager } from '../storage/producer-state.ts';

/**
 * Glue between a partition log's append path (ProducerStateHook: whole batches in) and the
 * idempotent-producer table (ProducerStateManager: ids and sequences in). One table per partition.
 * Rejections become StorageErrors carrying 45 OUT_OF_ORDER_SEQUENCE_NUMBER / 47 INVALID_PRODUCER_EPOCH,
 * which the Produce handler returns for that partition.
 */
export function producerStateHook(state = new ProducerStateManager()): ProducerStateHook & { state: ProducerStateManager } {
  return {
    state,
    check(batch: Buffer) {
      const pid = H.producerId(batch);
      if (pid < 0n) return null;
      const base = H.baseSequence(batch);
      const v = state.check(pid, H.producerEpoch(batch), base, lastSequenceOf(base, H.recordCount(batch)));
      if (v.kind === 'append') return null;
      if (v.kind === 'error') throw new StorageError(v.errorCode, v.message);
      // A retried batch: acknowledge with the offsets it got the first time. The stored timestamp is
      // the batch's maxTimestamp; it is the append time only for LogAppendTime topics.
      return { baseOffset: v.firstOffset, lastOffset: v.lastOffset, logAppendTimeMs: H.isLogAppendTime(batch) ? v.timestamp : -1 };
    },
    record(batch: Buffer, baseOffset: number, lastOffset: number, logAppendTimeMs: number) {
      const pid = H.producerId(batch);
      if (pid < 0n) return;
      const base = H.baseSequence(batch);
      const ts = logAppendTimeMs >= 0 ? logAppendTimeMs : H.maxTimestamp(batch);
      state.record(pid, H.producerEpoch(batch), base, lastSequenceOf(base, H.recordCount(batch)), baseOffset, lastOffset, ts);
    },
    replay(buf: Buffer, at: number) {
      const pid = H.producerId(buf, at);
      if (pid < 0n || H.isControl(buf, at)) return;
      const base = H.baseSequence(buf, at);
      const first = H.baseOffset(buf, at);
      state.record(pid, H.producerEpoch(buf, at), base, lastSequenceOf(base, H.recordCount(buf, at)), first, first + H.lastOffsetDelta(buf, at), H.maxTimestamp(buf, at));
    },
  };
}

/** LogManagerConfig.producerStateFactory: a fresh table per partition, rebuilt by replay at load. */
export const producerStateFactory = (): ProducerStateHook => producerStateHook();
