import type { Cluster } from '../client/cluster.ts';
import { Consumer, type FetchedBatch, type StartPosition } from '../client/consumer.ts';
import type { RecordView } from '../client/fetched-records.ts';
import { formatJsonRecord, type JsonRecord, type Header } from './record-json.ts';
import { onStdoutClosed, stderrIsTTY } from './output.ts';
import { onShutdownSignal } from './signals.ts';
import { KafkaError } from '../client/errors.ts';
import { invalidTopicReason } from '../client/topic-name.ts';
import { Admin } from '../client/admin.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { parseOffset, parsePartitions, parseTimestamp, UsageError } from './parse.ts';
import { compileTemplate, formatHeaders, unescape, type RenderFn } from './template.ts';

export interface ConsumeRunOptions {
  /** Topic names; one starting with '^' is a regular expression matched against the topic list. */
  topics: string[];
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
  checkCrcs?: boolean;
  /** Written after each record in the raw and json formats (default '\n'); -D. */
  delimiter?: Buffer;
  /** Per partition, stop before this offset (exclusive, like kcat's -o e@… bounds). */
  untilOffset?: number;
  /** Per partition, stop at the first record at or after this time (ms). */
  untilTimestamp?: number;
  /** Print group assignments (and waiting notes) on stderr; default: when stderr is a terminal. */
  verbose?: boolean;
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

/** `-o` values: kcat's s@MS / e@MS (start / end at a time) split from one ordinary start offset. */
export function splitKcatOffset(flags: { offset?: string[]; 'from-timestamp'?: string; 'until-timestamp'?: string }): { offset?: string; fromTimestamp?: string; untilTimestamp?: number } {
  const out: { offset?: string; fromTimestamp?: string; untilTimestamp?: number } = {};
  for (const v of flags.offset ?? []) {
    const m = /^([se])@(.+)$/.exec(v.trim());
    if (m?.[1] === 's') {
      if (out.fromTimestamp !== undefined || flags['from-timestamp'] !== undefined) throw new UsageError('--offset s@…: give one start time');
      out.fromTimestamp = m[2];
    } else if (m?.[1] === 'e') {
      if (out.untilTimestamp !== undefined || flags['until-timestamp'] !== undefined) throw new UsageError('--offset e@…: give one end time (or --until-timestamp)');
      out.untilTimestamp = parseTimestamp(m[2]!, '--offset e@');
    } else {
      if (out.offset !== undefined) throw new UsageError(`--offset given twice (${out.offset} and ${v}): pick one start offset`);
      out.offset = v;
    }
  }
  if (out.fromTimestamp !== undefined && out.offset !== undefined) throw new UsageError(`--offset ${out.offset} and s@${out.fromTimestamp} cannot be combined: pick one start position`);
  return out;
}

/** A growable output buffer: one per fetched batch, written to stdout with one write. */
export class OutBuf {
  buf: Buffer;
  pos = 0;
  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  bytes(src: Buffer, start = 0, end = src.length): void {
    this.ensure(end - start);
    this.pos += src.copy(this.buf, this.pos, start, end);
  }
  str(s: string): void {
    this.ensure(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }
  byte(c: number): void {
    this.ensure(1);
    this.buf[this.pos++] = c;
  }
  get bytesOut(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function toJsonRecord(topic: string, partition: number, r: RecordView): JsonRecord {
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    timestampType: r.timestampType,
    key: r.key,
    value: r.value,
    headers: r.headerCount === 0 ? [] : r.headers.map((h) => [h.key, h.value] as Header),
  };
}

type Render = (topic: string, partition: number, r: RecordView, out: OutBuf) => void;

/** Renders one record into the batch's output buffer. */
function renderer(o: ConsumeRunOptions): Render {
  if (o.format === 'json' && o.template !== undefined) throw new UsageError('--template cannot be used with --format json: pick one output format');
  const printFlags = [o.printKey && '--print-key', o.printHeaders && '--print-headers', o.printTimestamp && '--print-timestamp', o.printOffset && '--print-offset'].filter(Boolean);
  if (printFlags.length > 0 && (o.format !== 'raw' || o.template !== undefined)) {
    throw new UsageError(`${printFlags.join(', ')} apply to the raw format; with ${o.template !== undefined ? '--template' : `--format ${o.format}`} use its fields instead`);
  }
  const delim = o.delimiter ?? Buffer.from('\n');
  const d0 = delim[0]!;
  const end = delim.length === 1 ? (out: OutBuf) => out.byte(d0) : (out: OutBuf) => out.bytes(delim);
  if (o.format === 'json') {
    return (topic, partition, r, out) => {
      out.str(formatJsonRecord(toJsonRecord(topic, partition, r)));
      end(out);
    };
  }
  if (o.format === 'template' || (o.format === 'raw' && o.template !== undefined)) {
    if (o.template === undefined) throw new UsageError("--format template needs --template, e.g. --template '{{key}}\\t{{value}}'");
    const t: RenderFn = compileTemplate(o.template.endsWith('\n') || o.template.endsWith('\\n') ? o.template : `${o.template}\\n`);
    return (topic, partition, r, out) => {
      const pieces: Buffer[] = [];
      t(toJsonRecord(topic, partition, r), pieces);
      for (const p of pieces) out.bytes(p);
    };
  }
  const sep = Buffer.from(unescape(o.separator));
  const plain = !o.printKey && !o.printHeaders && !o.printTimestamp && !o.printOffset;
  if (plain && delim.length === 1) {
    return (_t, _p, r, out) => {
      const n = r.valueStart < 0 ? 0 : r.valueEnd - r.valueStart;
      out.ensure(n + 1);
      if (n > 0) out.pos += r.buf.copy(out.buf, out.pos, r.valueStart, r.valueEnd);
      out.buf[out.pos++] = d0;
    };
  }
  return (_t, partition, r, out) => {
    if (o.printTimestamp) {
      out.str(String(r.timestamp));
      out.bytes(sep);
    }
    if (o.printOffset) {
      out.str(`${partition}:${r.offset}`);
      out.bytes(sep);
    }
    if (o.printKey) {
      if (r.keyStart >= 0) out.bytes(r.buf, r.keyStart, r.keyEnd);
      out.bytes(sep);
    }
    if (o.printHeaders) {
      out.str(formatHeaders(r.headers.map((h) => [h.key, h.value])));
      out.bytes(sep);
    }
    if (r.valueStart >= 0) out.bytes(r.buf, r.valueStart, r.valueEnd);
    end(out);
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
  const verbose = o.verbose ?? stderrIsTTY();
  let stopped = false;
  let wake: () => void = () => {};
  const stopWaiting = onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], () => {
    stopped = true;
    wake();
  });
  let topics: string[];
  try {
    topics = await resolveTopics(cluster, o, () => stopped, (w) => (wake = w));
  } finally {
    stopWaiting();
  }
  if (stopped) return;
  const consumer = new Consumer(cluster, { groupId: o.group, start, autoCommit: o.commit, verifyCrc: o.checkCrcs ?? false, group: o.assignors?.length ? { assignors: o.assignors } : undefined });
  if (o.group) consumer.subscribe(topics);
  else consumer.assign(topics.map((topic) => ({ topic, partitions: o.partitions === undefined ? undefined : parsePartitions(o.partitions) })));
  const watch = o.group && verbose ? watchAssignment(consumer) : null;

  let printed = 0;
  let pipeClosed = false;
  onStdoutClosed(() => {
    pipeClosed = true;
    consumer.stop();
  });
  const offSignals = onShutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP'], (_s, count) => {
    // A second Ctrl-C while closing (a slow broker): give up on the clean leave.
    if (count > 1) process.exit(130);
    consumer.stop();
  });
  // End bounds: a partition is finished at the first record past the bound; all finished → stop.
  const bounded = o.untilOffset !== undefined || o.untilTimestamp !== undefined;
  const finished = new Set<string>();
  const allFinished = () => {
    const a = consumer.assignment();
    return a.length > 0 && a.every((p) => finished.has(`${p.topic}\0${p.partition}`) || (o.exitAtEnd && p.offset >= p.highWatermark));
  };
  const handler = async (b: FetchedBatch) => {
    if (pipeClosed) return;
    watch?.check();
    const out = new OutBuf();
    const key = `${b.topic}\0${b.partition}`;
    if (finished.has(key)) return;
    b.forEach((r) => {
      if (bounded && ((o.untilOffset !== undefined && r.offset >= o.untilOffset) || (o.untilTimestamp !== undefined && r.timestamp >= o.untilTimestamp))) {
        finished.add(key);
        // Committed up to the bound, not past it: the next run starts with the first record after it.
        consumer.markConsumed(b.topic, b.partition, r.offset);
        return false;
      }
      if (grep !== null) {
        const k = r.keyStart < 0 ? '' : r.buf.toString('utf8', r.keyStart, r.keyEnd);
        const v = r.valueStart < 0 ? '' : r.buf.toString('utf8', r.valueStart, r.valueEnd);
        if (!grep.test(v) && !grep.test(k)) return;
      }
      render(b.topic, b.partition, r, out);
      printed++;
      if (o.maxMessages !== undefined && printed >= o.maxMessages) {
        // Stop mid-batch: commit only what was printed.
        consumer.markConsumed(b.topic, b.partition, r.offset + 1);
        consumer.stop();
        return false;
      }
    });
    if (bounded && allFinished()) consumer.stop();
    if (out.pos === 0) return;
    if (!process.stdout.write(out.bytesOut)) {
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
    offSignals();
    watch?.check();
    watch?.stop();
    await consumer.close();
  }
}

/**
 * The topics to read: names checked with Kafka's rule, '^regex' entries matched against the cluster's
 * topics. Without -e a topic that does not exist yet is waited for (like `tail -F`), with a note.
 */
async function resolveTopics(cluster: Cluster, o: ConsumeRunOptions, stopped: () => boolean, onWake: (w: () => void) => void): Promise<string[]> {
  const names: string[] = [];
  const patterns: RegExp[] = [];
  for (const t of o.topics) {
    if (t.startsWith('^')) {
      try {
        patterns.push(new RegExp(t));
      } catch (e) {
        throw new UsageError(`topic pattern ${t}: ${(e as Error).message}`);
      }
      continue;
    }
    const bad = invalidTopicReason(t);
    if (bad !== undefined) throw new KafkaError(ErrorCode.INVALID_TOPIC_EXCEPTION, `topic "${t}"`, bad);
    names.push(t);
  }
  let noted = false;
  for (;;) {
    const matched = patterns.length === 0 ? [] : (await new Admin(cluster).listTopics(false)).map((t) => t.name).filter((n) => patterns.some((re) => re.test(n)));
    const wanted = [...new Set([...names, ...matched])];
    try {
      if (wanted.length > 0) await cluster.topicMetadata(wanted);
      if (wanted.length > 0 || o.exitAtEnd) {
        if (wanted.length === 0) throw new UsageError(`no topic matches ${o.topics.join(' ')}`);
        return wanted;
      }
    } catch (e) {
      if (!(e instanceof KafkaError && e.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) || o.exitAtEnd) throw e;
    }
    if (!noted) {
      noted = true;
      // stderr, not stdout: the data stream stays clean. Always shown: silence would look like a hang.
      process.stderr.write(`waiting for ${patterns.length > 0 && names.length === 0 ? `a topic matching ${o.topics.join(' ')}` : `topic ${o.topics.join(', ')}`} to be created (Ctrl-C to stop)\n`);
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 1000);
      onWake(() => {
        clearTimeout(t);
        resolve();
      });
    });
    if (stopped()) return [];
  }
}

/** Prints the group's assignment on stderr whenever it changes (kcat does the same on rebalance). */
function watchAssignment(consumer: Consumer): { check: () => void; stop: () => void } {
  let last = '';
  const check = () => {
    const byTopic = new Map<string, string[]>();
    for (const a of consumer.assignment()) {
      let l = byTopic.get(a.topic);
      if (!l) byTopic.set(a.topic, (l = []));
      l.push(String(a.partition));
    }
    const now = [...byTopic].map(([topic, ps]) => `${topic} [${ps.join(', ')}]`).join('; ') || 'no partitions';
    if (now !== last && !(last === '' && now === 'no partitions')) {
      last = now;
      process.stderr.write(`assigned: ${now}\n`);
    }
  };
  const t = setInterval(check, 200);
  t.unref();
  return { check, stop: () => clearInterval(t) };
}
