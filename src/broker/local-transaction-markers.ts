import type { TransactionMarkerPartitionResult, TransactionMarkerRequest, TransactionMarkerWriter } from '../coordinator/transaction-marker-writer.ts';
import type { TransactionalOffsetStore } from '../coordinator/transactional-offsets.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { encodeEndTxnMarkerBatch } from '../protocol/records/control-batch.ts';
import type { LogManager } from '../storage/log-manager.ts';
import { OFFSETS_TOPIC } from '../coordinator/partition-offset-log.ts';
import { toErrorCode } from './errors.ts';
import type { Logger } from './logger.ts';

/**
 * The single-node TransactionMarkerWriter: every partition is local, so a marker is a control batch
 * appended straight to the partition log (what a partition leader does on WriteTxnMarkers). For an
 * `__consumer_offsets` partition the group coordinator is told once the marker is durable, so the
 * transaction's offsets become visible (commit) or are dropped (abort). Partitions are written in
 * parallel; each answers its own Kafka error code.
 *
 * In cluster mode (`replication` given) a marker is written only where this broker leads the partition
 * (else NOT_LEADER_OR_FOLLOWER, nothing written) and is durable once the ISR holds it (acks=-1).
 */

/** Cluster mode: leadership check before and acks=all wait after a marker append. */
export interface MarkerReplication {
  /** ErrorCode.NONE when this broker leads the partition now. */
  check(topic: string, partition: number): number;
  /** ErrorCode.NONE once the ISR holds the partition up to `endOffset`. */
  afterAppend(topic: string, partition: number, endOffset: number): Promise<number>;
}
export class LocalTransactionMarkerWriter implements TransactionMarkerWriter {
  readonly #logs: LogManager;
  readonly #offsets: () => TransactionalOffsetStore | undefined;
  readonly #now: () => number;
  readonly #logger: Logger;

  readonly #replication: MarkerReplication | undefined;

  constructor(logs: LogManager, offsets: () => TransactionalOffsetStore | undefined, now: () => number, logger: Logger, replication?: MarkerReplication) {
    this.#replication = replication;
    this.#logger = logger;
    this.#logs = logs;
    this.#offsets = offsets;
    this.#now = now;
  }

  writeMarkers(req: TransactionMarkerRequest): Promise<TransactionMarkerPartitionResult[]> {
    return Promise.all(
      req.partitions.map(async (tp): Promise<TransactionMarkerPartitionResult> => {
        const log = this.#logs.partition(tp.topic, tp.partition);
        if (!log) return { ...tp, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        const leads = this.#replication?.check(tp.topic, tp.partition) ?? ErrorCode.NONE;
        if (leads !== ErrorCode.NONE) return { ...tp, errorCode: leads };
        try {
          const batch = encodeEndTxnMarkerBatch({
            type: req.result,
            coordinatorEpoch: req.coordinatorEpoch,
            producerId: req.producerId,
            producerEpoch: req.producerEpoch,
            timestamp: this.#now(),
          });
          await log.append(batch, { logAppendTime: log.config.logAppendTime, origin: 'coordinator' });
          const replicated = (await this.#replication?.afterAppend(tp.topic, tp.partition, log.logEndOffset)) ?? ErrorCode.NONE;
          if (replicated !== ErrorCode.NONE) return { ...tp, errorCode: replicated };
          if (tp.topic === OFFSETS_TOPIC) await this.#offsets()?.completeTransaction(req.producerId, tp.partition, req.result);
          return { ...tp, errorCode: ErrorCode.NONE };
        } catch (e) {
          return { ...tp, errorCode: toErrorCode(e, this.#logger, `writing a ${req.result} marker to ${tp.topic}-${tp.partition}`).errorCode };
        }
      }),
    );
  }
}
