import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { TransactionCoordinator, type TransactionCoordinatorConfig } from '../../src/coordinator/transaction-coordinator.ts';
import { decodeTransactionLogKey, decodeTransactionLogValue, type StoredTransaction } from '../../src/coordinator/transaction-log-codec.ts';
import type {
  TransactionMarkerPartitionResult,
  TransactionMarkerRequest,
  TransactionMarkerWriter,
} from '../../src/coordinator/transaction-marker-writer.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { flush } from '../helpers/index.ts';


/** Hands out increasing ids like ProducerIdManager, without a directory. */
export class CountingProducerIds {
  next = 1000n;
  allocated: bigint[] = [];
  async allocate(): Promise<bigint> {
    const id = this.next++;
    this.allocated.push(id);
    return id;
  }
}

/**
 * A TransactionMarkerWriter that records every marker it is asked to write. `failures` scripts
 * per-partition error codes ("topic:partition" → codes answered on successive attempts); `hold()` makes
 * writes wait until `release()`, to look at the coordinator while markers are in flight.
 */
export class RecordingMarkerWriter implements TransactionMarkerWriter {
  readonly calls: TransactionMarkerRequest[] = [];
  readonly written: { topic: string; partition: number; result: string; producerId: bigint; producerEpoch: number; coordinatorEpoch: number }[] = [];
  readonly failures = new Map<string, number[]>();
  rejectNext: Error | null = null;
  #gate: Promise<void> | null = null;
  #open: (() => void) | null = null;

  hold(): void {
    this.#gate = new Promise((r) => (this.#open = r));
  }

  release(): void {
    this.#open?.();
    this.#gate = null;
  }

  async writeMarkers(req: TransactionMarkerRequest): Promise<TransactionMarkerPartitionResult[]> {
    this.calls.push({ ...req, partitions: [...req.partitions] });
    if (this.#gate) await this.#gate;
    if (this.rejectNext) {
      const e = this.rejectNext;
      this.rejectNext = null;
      throw e;
    }
    return req.partitions.map((tp) => {
      const script = this.failures.get(`${tp.topic}:${tp.partition}`);
      const errorCode = script && script.length > 0 ? script.shift()! : ErrorCode.NONE;
      if (errorCode === ErrorCode.NONE) {
        this.written.push({ ...tp, result: req.result, producerId: req.producerId, producerEpoch: req.producerEpoch, coordinatorEpoch: req.coordinatorEpoch });
      }
      return { ...tp, errorCode };
    });
  }
}

/** The decoded `__transaction_state` records, oldest first (null value = tombstone). */
export function logEntries(log: MemoryOffsetLog): { id: string; value: StoredTransaction | null }[] {
  return log.records.map((r) => {
    const k = decodeTransactionLogKey(r.key);
    if (k.kind !== 'transaction') throw new Error('unexpected key');
    return { id: k.transactionalId, value: r.value === null ? null : decodeTransactionLogValue(r.value) };
  });
}

export async function makeTxnCoordinator(
  config: Partial<TransactionCoordinatorConfig> = {},
  opts: { log?: MemoryOffsetLog; scheduler?: ManualScheduler; writer?: RecordingMarkerWriter; producerIds?: CountingProducerIds } = {},
) {
  const log = opts.log ?? new MemoryOffsetLog();
  const scheduler = opts.scheduler ?? new ManualScheduler();
  const writer = opts.writer ?? new RecordingMarkerWriter();
  const producerIds = opts.producerIds ?? new CountingProducerIds();
  const messages: string[] = [];
  const tc = await TransactionCoordinator.load(log, { scheduler, producerIds, markerWriter: writer, config, log: (m) => messages.push(m) });
  /** Advances the fake clock, lets what it triggered run, and waits for marker writing to settle. */
  const advance = async (ms: number) => {
    scheduler.advance(ms);
    await flush();
    await flush();
  };
  const init = (transactionalId = 'tx', extra: { transactionTimeoutMs?: number; producerId?: bigint; producerEpoch?: number } = {}) =>
    tc.initProducerId({ transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1, ...extra });
  return { tc, log, scheduler, writer, producerIds, messages, advance, init };
}
