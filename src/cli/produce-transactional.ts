import type { Cluster } from '../client/cluster.ts';
import type { RecordHeader } from '../client/batch-builder.ts';
import { TransactionalProducer } from '../client/transactional-producer.ts';
import { colors, stderrIsTTY } from './output.ts';
import { parseHeader, UsageError } from './parse.ts';
import { produceLines, produceValues, type RecordSink } from './produce-input.ts';
import type { ProduceRunOptions } from './produce-run.ts';
import { onShutdownSignal } from './signals.ts';

export interface TransactionalProduceOptions extends ProduceRunOptions {
  transactionalId: string;
  /** Commit every this many records (default: the whole input in one transaction). */
  transactionSize?: number;
  transactionTimeoutMs?: number;
}

interface Held {
  partition: number | undefined;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[] | null;
  timestamp: number;
}

/**
 * The line reader's sink for `produce --transactional-id`: records go into the open transaction; once
 * it holds `size` records further ones are held (copied) and the reader is told to wait, and the wait
 * commits the transaction and starts the next one — so every transaction holds exactly `size` records.
 */
class TransactionSink implements RecordSink {
  readonly #p: TransactionalProducer;
  readonly #topic: string;
  readonly #size: number;
  readonly #held: Held[] = [];
  inTransaction = 0;
  committed = 0;
  transactions = 0;

  constructor(p: TransactionalProducer, topic: string, size: number) {
    this.#p = p;
    this.#topic = topic;
    this.#size = size;
  }

  append(topic: string, partition: number | undefined, key: Buffer | null, value: Buffer | null, headers: RecordHeader[] | null, timestamp: number): boolean {
    if (this.inTransaction >= this.#size) {
      this.#held.push({ partition, key: key && Buffer.from(key), value: value && Buffer.from(value), headers, timestamp });
      return false;
    }
    if (!this.#p.inTransaction) this.#p.beginTransaction();
    this.inTransaction++;
    return this.#p.send({ topic, partition, key, value, headers, timestamp });
  }

  appendRange(topic: string, partition: number | undefined, key: Buffer | null, ks: number, ke: number, value: Buffer | null, vs: number, ve: number, headers: RecordHeader[] | null, ts: number): boolean {
    return this.append(topic, partition, key && key.subarray(ks, ke), value && value.subarray(vs, ve), headers, ts);
  }

  async waitForSpace(): Promise<void> {
    while (this.inTransaction >= this.#size) {
      await this.commit();
      while (this.#held.length > 0 && this.inTransaction < this.#size) {
        const h = this.#held.shift()!;
        this.append(this.#topic, h.partition, h.key, h.value, h.headers, h.timestamp);
      }
    }
    await this.#p.waitForSpace();
  }

  async commit(): Promise<void> {
    if (!this.#p.inTransaction) return;
    await this.#p.commitTransaction();
    this.committed += this.inTransaction;
    this.transactions++;
    this.inTransaction = 0;
  }
}

/**
 * `kstream produce --transactional-id ID`: the whole input (or every --transaction-size N records) in
 * one transaction, committed at EOF. Ctrl-C or an error aborts the open transaction and says how many
 * records it dropped; committed transactions stay committed.
 */
export async function runTransactionalProduce(cluster: Cluster, o: TransactionalProduceOptions): Promise<void> {
  if (o.acks !== -1) throw new UsageError('--transactional-id needs --acks all (a transactional producer is idempotent)');
  if (o.idempotence === false) throw new UsageError('--transactional-id cannot be combined with --no-idempotence');
  if (o.transactionSize !== undefined && o.transactionSize < 1) throw new UsageError('--transaction-size must be at least 1');
  const headers = o.headers.map((h) => {
    const [k, v] = parseHeader(h);
    return [k, v === null ? null : Buffer.from(v, 'utf8')] as RecordHeader;
  });
  const producer = new TransactionalProducer(cluster, {
    transactionalId: o.transactionalId,
    transactionTimeoutMs: o.transactionTimeoutMs,
    compression: o.compression,
    lingerMs: o.lingerMs,
    batchSize: o.batchSize,
    retries: o.retries,
  });
  await producer.initTransactions();
  const partitions = await producer.prepareTopic(o.topic);
  if (o.partition !== undefined && o.partition >= partitions) throw new Error(`partition ${o.partition} of topic "${o.topic}" does not exist (it has ${partitions})`);
  const sink = new TransactionSink(producer, o.topic, o.transactionSize ?? Number.POSITIVE_INFINITY);
  const input = { topic: o.topic, format: o.format, keySeparator: o.keySeparator, headers, partition: o.partition, keepPartitions: o.keepPartitions, partitionCount: partitions, delimiter: o.delimiter?.[0] };
  let stopping = false;
  let signalStop!: () => void;
  const stopSignal = new Promise<void>((r) => (signalStop = r));
  const offSignals = onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], () => {
    if (stopping) process.exit(130);
    stopping = true;
    signalStop();
    process.stdin.destroy();
  });
  const abortOpen = async (why: string) => {
    const open = sink.inTransaction;
    if (!producer.inTransaction) return;
    try {
      await producer.abortTransaction();
      process.stderr.write(`${why}: aborted the open transaction of ${o.transactionalId} (${open} record${open === 1 ? '' : 's'} not committed)\n`);
    } catch (e) {
      process.stderr.write(`${why}: could not abort the open transaction of ${o.transactionalId} (${(e as Error).message}); the broker aborts it at its timeout\n`);
    }
  };
  try {
    if (o.values.length > 0) produceValues(sink, o.values, input);
    else {
      await produceLines(sink, 0, { ...input, stopped: () => stopping, stopSignal }).catch((e: Error) => {
        if (!stopping) throw e;
      });
    }
    if (stopping) {
      await abortOpen('interrupted');
      process.exitCode = 130;
    } else {
      await sink.waitForSpace();
      await sink.commit();
    }
  } catch (e) {
    await abortOpen('error');
    throw e;
  } finally {
    offSignals();
    await producer.close();
  }
  const summary = `committed ${sink.committed.toLocaleString()} record${sink.committed === 1 ? '' : 's'} to ${o.topic} in ${sink.transactions} transaction${sink.transactions === 1 ? '' : 's'} (transactional id ${o.transactionalId})`;
  if (stderrIsTTY()) process.stderr.write(`${colors().green('✔')} ${summary}\n`);
  else if (stopping) process.stderr.write(`${summary}\n`);
  if (stopping) setImmediate(() => process.exit(130));
}

/** `runProduce`'s shape with the transaction flags bound (keeps commands/produce.ts to one call). */
export function transactionalRun(transactionalId: string, transactionSize: number | undefined): (cluster: Cluster, o: ProduceRunOptions) => Promise<void> {
  return (cluster, o) => runTransactionalProduce(cluster, { ...o, transactionalId, transactionSize });
}
