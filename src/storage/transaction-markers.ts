import { BASE_OFFSET } from '../protocol/records/batch-header.ts';
import { readEndTxnMarker } from '../protocol/records/control-batch.ts';
import { decodeRecordBatch } from '../protocol/records/record-batch.ts';
import { producerEpoch as headerProducerEpoch, producerId as headerProducerId } from '../protocol/records/batch-header.ts';
import type { ProducerStateManager, SequenceCheck } from './producer-state.ts';
import type { TransactionIndex } from './transaction-index.ts';

/**
 * What an end-transaction marker does to a partition once it is in the log (at append and when recovery
 * replays the log): raises the producer's epoch (a fencing abort carries the bumped one), remembers the
 * coordinator epoch that wrote it (older coordinators' markers are refused after it), ends its open
 * transaction (moving the last stable offset) and, for an ABORT, records the aborted range in the
 * segment's `.txnindex` so read_committed fetches can return it. Kafka: ProducerAppendInfo.appendEndTxnMarker
 * and UnifiedLog's completed-transaction handling.
 */
export async function applyEndTxnMarker(batch: Buffer, segmentBase: number, producers: ProducerStateManager, txnIndex: TransactionIndex): Promise<void> {
  const marker = readEndTxnMarker(decodeRecordBatch(batch));
  if (!marker) return;
  const offset = Number(batch.readBigInt64BE(BASE_OFFSET));
  producers.bumpEpoch(marker.producerId, marker.producerEpoch);
  producers.recordCoordinatorEpoch(marker.producerId, marker.coordinatorEpoch);
  const first = producers.endTransaction(marker.producerId);
  if (marker.type === 'abort' && first >= 0) {
    const lastStableOffset = Math.min(producers.firstUnstableOffset() ?? offset + 1, offset + 1);
    await txnIndex.add({ producerId: marker.producerId, firstOffset: first, lastOffset: offset, lastStableOffset }, segmentBase);
  }
}

/**
 * Before a coordinator's control batch is appended as leader: its producer epoch, and for a COMMIT /
 * ABORT marker its coordinator epoch against the one of the producer's last marker
 * (TRANSACTION_COORDINATOR_FENCED when older, as Kafka's appendEndTxnMarker).
 */
export function checkEndTxnMarker(producers: ProducerStateManager, batch: Buffer): SequenceCheck {
  const marker = readEndTxnMarker(decodeRecordBatch(batch));
  if (!marker) return producers.checkEpoch(headerProducerId(batch), headerProducerEpoch(batch));
  return producers.checkMarker(marker.producerId, marker.producerEpoch, marker.coordinatorEpoch);
}

/** The partition's last stable offset: the first offset of its earliest open transaction, else the high watermark. */
export function lastStableOffset(producers: ProducerStateManager, highWatermark: number): number {
  return Math.min(producers.firstUnstableOffset() ?? Number.POSITIVE_INFINITY, highWatermark);
}
