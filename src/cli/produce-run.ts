import type { Cluster } from '../client/cluster.ts';
import { Producer } from '../client/producer.ts';
import type { CompressionName } from '../protocol/records/compression/index.ts';
import { colors, stderrIsTTY } from './output.ts';
import { parseHeader, UsageError } from './parse.ts';
import { onShutdownSignal } from './signals.ts';
import { KafkaError } from '../client/errors.ts';
import { invalidTopicReason } from '../client/topic-name.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { produceLines, produceValues } from './produce-input.ts';
import { OffsetsPrinter } from './offsets-printer.ts';

export interface ProduceRunOptions {
  topic: string;
  values: string[];
  format: 'raw' | 'json';
  keySeparator?: string;
  /** Record delimiter (-D), already unescaped; one byte. */
  delimiter?: Buffer;
  headers: string[];
  partition?: number;
  keepPartitions?: boolean;
  compression: CompressionName;
  acks: 0 | 1 | -1;
  lingerMs: number;
  batchSize: number;
  idempotence?: boolean;
  retries: number;
  retryBackoffMs?: number;
  /** Print where records went: one line per record, or a per-partition summary at the end. */
  printOffsets?: 'records' | 'summary';
}

/**
 * `kstream produce`: values from arguments or stdin lines into a Producer, flushed at EOF or Ctrl-C.
 * On a terminal an ora status line shows records/s; on a pipe it is silent except for errors.
 */
export async function runProduce(cluster: Cluster, o: ProduceRunOptions): Promise<void> {
  const bad = invalidTopicReason(o.topic);
  if (bad !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic "${o.topic}"`, bad);
  if (o.keySeparator === '') throw new UsageError('--key-separator: the separator is empty (give one or more characters, e.g. -K :)');
  if (o.keySeparator !== undefined && o.format === 'json') throw new UsageError('--key-separator applies to raw lines; with --format json the key is the record\'s "key" field');
  if (o.delimiter !== undefined && o.delimiter.length !== 1) throw new UsageError(`--delimiter: produce splits input at one byte (e.g. '\\0' or ';'), got ${o.delimiter.length} bytes`);
  if (o.keepPartitions && o.format !== 'json') throw new UsageError('--keep-partitions applies to --format json (the records\' "partition" field)');
  if (o.keepPartitions && o.partition !== undefined) throw new UsageError('--keep-partitions and --partition cannot be combined: pick one');
  const headers = o.headers.map((h) => {
    const [k, v] = parseHeader(h);
    return [k, v === null ? null : Buffer.from(v, 'utf8')] as [string, Buffer | null];
  });
  if (o.printOffsets !== undefined && o.acks === 0) {
    throw new UsageError('--print-offsets needs acknowledgements (--acks 1 or all): with acks 0 the broker does not say where records went');
  }
  const written = o.printOffsets === undefined ? null : new OffsetsPrinter(o.printOffsets);
  const producer = new Producer(cluster, {
    onAcked: written ? (a) => written.acked(a) : undefined,
    retryBackoffMs: o.retryBackoffMs,
    acks: o.acks,
    compression: o.compression,
    lingerMs: o.lingerMs,
    batchSize: o.batchSize,
    idempotent: o.idempotence === false ? false : o.idempotence === true ? true : undefined,
    retries: o.retries,
  });
  await producer.prepareTopic(o.topic);
  const partitions = producer.partitionCount(o.topic);
  if (o.partition !== undefined && o.partition >= partitions) {
    throw new Error(`partition ${o.partition} of topic "${o.topic}" does not exist (it has ${partitions})`);
  }
  const input = { topic: o.topic, format: o.format, keySeparator: o.keySeparator, headers, partition: o.partition, keepPartitions: o.keepPartitions, partitionCount: partitions, delimiter: o.delimiter?.[0] };
  const started = Date.now();
  const interactive = o.values.length === 0 && process.stdin.isTTY === true;
  // ora needs a terminal width: with 0 columns (some ptys) its line clearing never ends.
  const spinner = stderrIsTTY() && !interactive && (process.stderr.columns ?? 0) > 0 ? (await import('ora')).default({ stream: process.stderr, text: `producing to ${o.topic}` }).start() : null;
  const tick = spinner
    ? setInterval(() => {
        const secs = (Date.now() - started) / 1000;
        spinner.text = `producing to ${o.topic}: ${producer.stats.acked.toLocaleString()} records acknowledged (${Math.round(producer.stats.acked / Math.max(secs, 0.001)).toLocaleString()} records/s)`;
      }, 200)
    : null;
  let stopping = false;
  let signalStop!: () => void;
  const stopSignal = new Promise<void>((r) => (signalStop = r));
  const onSigint = () => {
    if (stopping) process.exit(130);
    stopping = true;
    signalStop();
    // A read of fd 0 may be blocked on a pipe: it ends at the next chunk; interactive input now.
    process.stdin.destroy();
  };
  // SIGTERM/SIGHUP too: what was read is flushed, not lost. Counted once through the hand-over.
  const offSignals = onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], onSigint);
  try {
    if (o.values.length > 0) produceValues(producer, o.values, input);
    else {
      if (interactive) process.stderr.write(colors().dim(`type records for ${o.topic}, one per line; Ctrl-D to finish\n`));
      // Files and pipes are read from fd 0 in 1 MiB reads into one buffer (process.stdin reads
      // 64 KiB at a time into fresh buffers).
      await produceLines(producer, interactive ? process.stdin : 0, { ...input, stopped: () => stopping, stopSignal }).catch((e: Error & { code?: string }) => {
        // stdin destroyed by Ctrl-C: not an error, flush what we have.
        if (!stopping) throw e;
      });
    }
    await producer.flush();
  } catch (e) {
    spinner?.fail();
    // Deliver what was read before the failure, then report the failure.
    await producer.close().catch(() => undefined);
    written?.finish();
    throw e;
  } finally {
    if (tick) clearInterval(tick);
    offSignals();
  }
  await producer.close();
  written?.finish();
  const n = producer.stats.acked;
  const secs = (Date.now() - started) / 1000;
  // Typed records: the time is the typist's, a rate would mean nothing.
  const rate = interactive ? '' : ` in ${secs.toFixed(2)}s (${Math.round(n / Math.max(secs, 0.001)).toLocaleString()} records/s)`;
  const summary = `produced ${n.toLocaleString()} record${n === 1 ? '' : 's'} to ${o.topic}${rate}`;
  if (spinner) spinner.succeed(summary);
  else if (stderrIsTTY()) process.stderr.write(`${colors().green('✔')} ${summary}\n`);
  // Stopped by Ctrl-C: a read of an idle pipe may still be pending and would keep the process alive.
  if (stopping) setImmediate(() => process.exit(0));
}
