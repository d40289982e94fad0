import type { Cluster } from '../client/cluster.ts';
import { Consumer, type FetchedBatch, type StartPosition } from '../client/consumer.ts';
import type { ConsumerRecord } from '../protocol/records/record-batch.ts';
import { formatEnvelope, type EnvelopeRecord, type Header } from './envelope.ts';
import { onStdoutClosed } from './output.ts';
import { parseOffset, parsePartitions, parseTimestamp, UsageError } from './parse.ts';
import { compileTemplate, formatHeaders, unescape, type RenderFn } from './template.ts';

export interface ConsumeRunOptions {
  topic: string;
  start: StartPosition | undefined;
  partitions?: string;
  group?: string;
  maxMessages?: number;
  exitAtEnd: boolean;
  format: 'raw' | 'json' | 'template';
  template?: string;
  printKey: boolean;
  printHeaders: boolean;
  printTimestamp: boolean;
  printOffset: boolean;
  separator: string;
  grep?: string;
  commit: boolean;
  assignors?: string[];
}

/** --from-beginning / --offset / --from-timestamp → one start position (they exclude each other). */
export function consumeStart(flags: { 'from-beginning': boolean; offset?: string; 'from-timestamp'?: string }): StartPosition | undefined {
  const given = [flags['from-beginning'] && '--from-beginning', flags.offset !== undefined && '--offset', flags['from-timestamp'] !== undefined && '--from-timestamp'].filter(Boolean);
  if (given.length > 1) throw new UsageError(`${given.join(' and ')} cannot be combined: pick one start position`);
  if (flags['from-beginning']) return { type: 'earliest' };
  if (flags.offset !== undefined) return parseOffset(flags.offset);
  if (flags['from-timestamp'] !== undefined) return { type: 'timestamp', timestamp: parseTimestamp(flags['from-timestamp']) };
  return undefined;
}

function toEnvelope(topic: string, partition: number, r: ConsumerRecord): EnvelopeRecord {
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers.map((h) => [h.key, h.value] as Header),
  };
}

/** Renders one record into `out` (Buffers, written once per fetched batch). */
function renderer(o: ConsumeRunOptions): (topic: string, partition: number, r: ConsumerRecord, out: Buffer[]) => void {
  if (o.format === 'json') {
    return (topic, partition, r, out) => void out.push(Buffer.from(`${formatEnvelope(toEnvelope(topic, partition, r))}\n`));
  }
  if (o.format === 'template') {
    if (o.template === undefined) throw new UsageError("--format template needs --template, e.g. --template '{{key}}\\t{{value}}'");
    const t: RenderFn = compileTemplate(o.template.endsWith('\n') || o.template.endsWith('\\n') ? o.template : `${o.template}\\n`);
    return (topic, partition, r, out) => t(toEnvelope(topic, partition, r), out);
  }
  if (o.template !== undefined) throw new UsageError('--template needs --format template');
  const sep = Buffer.from(unescape(o.separator));
  const nl = Buffer.from('\n');
  const plain = !o.printKey && !o.printHeaders && !o.printTimestamp && !o.printOffset;
  if (plain) {
    return (_t, _p, r, out) => {
      if (r.value !== null) out.push(r.value);
      out.push(nl);
    };
  }
  return (_t, partition, r, out) => {
    if (o.printTimestamp) out.push(Buffer.from(String(r.timestamp)), sep);
    if (o.printOffset) out.push(Buffer.from(`${partition}:${r.offset}`), sep);
    if (o.printKey) {
      if (r.key !== null) out.push(r.key);
      out.push(sep);
    }
    if (o.printHeaders) out.push(Buffer.from(formatHeaders(r.headers.map((h) => [h.key, h.value]))), sep);
    if (r.value !== null) out.push(r.value);
    out.push(nl);
  };
}

/**
 * `kstream consume`: runs a Consumer and writes each fetched batch's lines with one write, waiting
 * for stdout to drain (backpressure). A closed pipe (`| head`) or Ctrl-C stops it cleanly: the group
 * member commits what was printed and leaves.
 */
export async function runConsume(cluster: Cluster, o: ConsumeRunOptions): Promise<void> {
  const render = renderer(o);
  let grep: RegExp | null = null;
  if (o.grep !== undefined) {
    try {
      grep = new RegExp(o.grep);
    } catch (e) {
      throw new UsageError(`--grep: ${(e as Error).message}`);
    }
  }
  if (o.group && o.partitions !== undefined) throw new UsageError('--partition cannot be used with --group (the group assigns partitions)');
  let start = o.start;
  if (o.group && start && start.type !== 'earliest' && start.type !== 'latest') {
    throw new UsageError('with --group only --from-beginning or --offset earliest|latest apply (to partitions without a committed offset); move a group with `kstream groups reset-offsets`');
  }
  start ??= { type: 'latest' };
  const consumer = new Consumer(cluster, { groupId: o.group, start, autoCommit: o.commit, group: o.assignors?.length ? { assignors: o.assignors } : undefined });
  if (o.group) consumer.subscribe([o.topic]);
  else consumer.assign([{ topic: o.topic, partitions: o.partitions === undefined ? undefined : parsePartitions(o.partitions) }]);

  let printed = 0;
  let pipeClosed = false;
  onStdoutClosed(() => {
    pipeClosed = true;
    consumer.stop();
  });
  const onSignal = () => consumer.stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const handler = async (b: FetchedBatch) => {
    if (pipeClosed) return;
    const out: Buffer[] = [];
    let i = 0;
    for (; i < b.records.length; i++) {
      const r = b.records[i]!;
      if (grep !== null) {
        const k = r.key?.toString('utf8') ?? '';
        const v = r.value?.toString('utf8') ?? '';
        if (!grep.test(v) && !grep.test(k)) continue;
      }
      render(b.topic, b.partition, r, out);
      printed++;
      if (o.maxMessages !== undefined && printed >= o.maxMessages) {
        // Stop mid-batch: commit only what was printed.
        consumer.markConsumed(b.topic, b.partition, r.offset + 1);
        consumer.stop();
        break;
      }
    }
    if (out.length === 0) return;
    if (!process.stdout.write(out.length === 1 ? out[0]! : Buffer.concat(out))) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('error', done);
          resolve();
        };
        process.stdout.once('drain', done);
        process.stdout.once('error', done);
      });
    }
  };
  try {
    await consumer.run(handler, { exitAtEnd: o.exitAtEnd });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await consumer.close();
  }
}
