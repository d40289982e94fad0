/**
 * Crash safety: a compiled `kstream serve` child is SIGKILLed at random moments under continuous
 * acks=all load from kafkajs (one idempotent and one plain producer), four raw pipelining producers
 * (8 requests in flight each, one codec each, all on one partition) and an admin/coordinator churn
 * (topics created and deleted, offsets committed). After every restart on the same data dir and port:
 *   - every acknowledged record is present, in send order, at contiguous offsets from 0;
 *   - the idempotent producer's records appear exactly once (its failed sends are retried with the
 *     same sequence numbers, so the broker must deduplicate across the crash);
 *   - the plain producer's records appear once unless their send failed or spanned a kill;
 *   - a pipelined request's acknowledged base offset holds exactly its records;
 *   - the high watermark of Fetch, ListOffsets latest and the last record agree, and a Fetch at
 *     sampled offsets finds exactly that offset (the offset index agrees with the log);
 *   - acknowledged topic creations, deletions and offset commits hold.
 * The fsync mode rotates interval / always / never between rounds: a process crash must lose
 * nothing acknowledged in any of them (the page cache survives the process).
 * A second test drives kcat (librdkafka, idempotent) across kills: every line exactly once, in order.
 *
 * Short: 5 rounds (kcat: 2 kills). KSTREAM_RELIABILITY_LONG=1: 50 rounds (kcat: 10 kills).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRecordsBlob } from '../../src/protocol/records/record-batch.ts';
import { closeAll, eventually, sleep, hasKcat, RawClient, seededRandom, tempDir, type ChildBroker } from '../helpers/index.ts';
import { batchOf, createTopic, fetchAt, firstOffsetFetchedAt, listOffset, produceTo, readAll, scale, SEED, startServe } from './helpers.ts';
import { CreateTopicsFacts, DeleteTopicsFacts, MetadataFacts, OffsetCommitFacts, OffsetFetchFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const ROUNDS = scale(5, 50);
/** SIGKILLs so far (a send that spans one may be retried inside kafkajs). */
let kills = 0;
const MODES = ['interval', 'always', 'never'] as const;

afterAll(closeAll);

interface ProducerRun {
  tag: string;
  topic: string;
  /** Values acknowledged so far, in send order (seq numbers). */
  acked: number[];
  /** Seq numbers of messages whose send failed or spanned a kill (a plain producer may have written them twice). */
  retried: Set<number>;
  /** Highest seq ever handed to send(). */
  maxSent: number;
  stop: boolean;
  /** While set, the producer sends nothing new (verification needs a still log); `idle` tells it has stopped. */
  paused: boolean;
  idle: boolean;
  done: Promise<void>;
}

/** Sends batches of `batchSize` messages one after another; a failed send is retried with the same messages. */
function runProducer(producer: Producer, tag: string, topic: string, batchSize: number): ProducerRun {
  const run: ProducerRun = { tag, topic, acked: [], retried: new Set(), maxSent: -1, stop: false, paused: false, idle: false, done: Promise.resolve() };
  const gate = async () => {
    while (run.paused && !run.stop) {
      run.idle = true;
      await sleep(10);
    }
    run.idle = false;
  };
  run.done = (async () => {
    let seq = 0;
    while (!run.stop) {
      await gate();
      const seqs = Array.from({ length: batchSize }, (_, i) => seq + i);
      run.maxSent = seq + batchSize - 1;
      for (;;) {
        const killsBefore = kills;
        try {
          await producer.send({ topic, acks: -1, messages: seqs.map((s) => ({ value: `${tag}-${s}` })) });
          // kafkajs retries inside send(): a send that spanned a kill may have been written twice.
          if (kills !== killsBefore) for (const s of seqs) run.retried.add(s);
          break;
        } catch {
          for (const s of seqs) run.retried.add(s);
          if (run.stop) return;
          await sleep(50);
          await gate();
        }
      }
      run.acked.push(...seqs);
      seq += batchSize;
    }
  })();
  return run;
}

/** Checks every invariant of one topic against what its producer had acknowledged (`acked`). */
async function verify(port: number, run: ProducerRun, acked: number[], idempotent: boolean, random: () => number): Promise<number> {
  const rb = await readAll(port, run.topic);
  const where = `${run.topic} (seed ${SEED})`;
  // Offsets: contiguous from 0 to the high watermark.
  expect(rb.logStartOffset, where).toBe(0);
  rb.records.forEach((r, i) => {
    if (r.offset !== i) expect.fail(`${where}: record ${i} has offset ${r.offset}`);
  });
  expect(rb.highWatermark, where).toBe(rb.records.length);
  expect(await listOffset(port, run.topic, 0, -1), `${where}: ListOffsets latest`).toBe(rb.highWatermark);
  expect(await listOffset(port, run.topic, 0, -2), `${where}: ListOffsets earliest`).toBe(0);

  // Values: first occurrences in send order; duplicates only where idempotence allows.
  const count = new Map<number, number>();
  let lastFirst = -1;
  for (const r of rb.records) {
    const m = /^(\w+)-(\d+)$/.exec(r.value);
    if (!m || m[1] !== run.tag) expect.fail(`${where}: unexpected value ${JSON.stringify(r.value)} at ${r.offset}`);
    const s = Number(m[2]);
    if (s > run.maxSent) expect.fail(`${where}: value ${s} was never sent`);
    const n = (count.get(s) ?? 0) + 1;
    count.set(s, n);
    if (n === 1) {
      if (s <= lastFirst) expect.fail(`${where}: ${s} first appears after ${lastFirst} (out of order) at offset ${r.offset}`);
      lastFirst = s;
    } else if (idempotent) {
      expect.fail(`${where}: idempotent value ${s} appears ${n} times (second at offset ${r.offset})`);
    } else if (!run.retried.has(s)) {
      expect.fail(`${where}: value ${s} duplicated at offset ${r.offset} although its send never failed`);
    }
  }
  const missing = acked.filter((s) => !count.has(s));
  expect(missing.slice(0, 10), `${where}: ${missing.length} acknowledged records missing`).toEqual([]);

  // The offset index agrees with the log: a Fetch at an offset starts exactly there.
  const c = await RawClient.connect(port);
  try {
    const samples = Math.min(rb.records.length, 25);
    for (let i = 0; i < samples; i++) {
      const o = Math.floor(random() * rb.records.length);
      expect(await firstOffsetFetchedAt(c, run.topic, 0, o), `${where}: fetch at ${o}`).toBe(o);
    }
    // Batch boundaries too (the index names batch starts).
    for (const [base] of rb.batches.slice(-5)) expect(await firstOffsetFetchedAt(c, run.topic, 0, base)).toBe(base);
  } finally {
    c.close();
  }
  return rb.records.length;
}

/**
 * A raw pipelining producer: one connection, up to 8 Produce requests (acks=all, 3 records each, one
 * compression codec per producer) in flight. Several of these on one partition make concurrent appends (group commit). A request whose
 * answer never came is not retried; an acknowledged one is remembered with its base offset.
 */
interface PipeRun {
  tag: string;
  acked: { seq: number; baseOffset: number }[];
  maxSent: number;
  stop: boolean;
  paused: boolean;
  inFlight: number;
  done: Promise<void>;
}

/** A connection to whichever incarnation of the broker is up, retried while it restarts; null once `stopped()`. */
async function connectThroughRestarts(port: number, stopped: () => boolean): Promise<RawClient | null> {
  while (!stopped()) {
    try {
      return await RawClient.connect(port);
    } catch {
      await sleep(30);
    }
  }
  return null;
}

const PIPE_TOPIC = 'crash-pipe';
const pipeValue = (tag: string, seq: number, j: number) => `${tag}-${seq * 3 + j}`;

function runPipe(port: number, tag: string, compression: 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd', topic = PIPE_TOPIC): PipeRun {
  const run: PipeRun = { tag, acked: [], maxSent: -1, stop: false, paused: false, inFlight: 0, done: Promise.resolve() };
  run.done = (async () => {
    let seq = 0;
    for (;;) {
      const c = await connectThroughRestarts(port, () => run.stop);
      if (!c) break;
      let broken = false;
      c.closed.then(() => (broken = true));
      while (!run.stop && !broken) {
        if (run.paused || run.inFlight >= 8) {
          await sleep(2);
          continue;
        }
        const mySeq = seq++;
        run.maxSent = mySeq;
        run.inFlight++;
        produceTo(c, topic, 0, batchOf([0, 1, 2].map((j) => pipeValue(tag, mySeq, j)), { compression }))
          .then((r) => {
            if (r.errorCode === 0) run.acked.push({ seq: mySeq, baseOffset: Number(r.baseOffset) });
          }, () => {})
          .finally(() => run.inFlight--);
        await new Promise((r) => setImmediate(r));
      }
      c.close();
    }
  })();
  return run;
}

async function verifyPipes(port: number, runs: PipeRun[], acked: { seq: number; baseOffset: number }[][]): Promise<number> {
  const rb = await readAll(port, PIPE_TOPIC);
  const where = `${PIPE_TOPIC} (seed ${SEED})`;
  rb.records.forEach((r, i) => {
    if (r.offset !== i) expect.fail(`${where}: record ${i} has offset ${r.offset}`);
  });
  expect(rb.highWatermark, where).toBe(rb.records.length);
  expect(await listOffset(port, PIPE_TOPIC, 0, -1), `${where}: ListOffsets latest`).toBe(rb.highWatermark);
  const seen = new Set<string>();
  for (const r of rb.records) {
    if (seen.has(r.value)) expect.fail(`${where}: ${r.value} stored twice (second at ${r.offset})`);
    seen.add(r.value);
  }
  runs.forEach((run, k) => {
    let prev = -1;
    for (const a of [...acked[k]!].sort((x, y) => x.seq - y.seq)) {
      // The acknowledged base offset holds exactly this request's records.
      for (let j = 0; j < 3; j++) {
        const got = rb.records[a.baseOffset + j]?.value;
        if (got !== pipeValue(run.tag, a.seq, j)) expect.fail(`${where}: acked ${run.tag} #${a.seq} at ${a.baseOffset}+${j} holds ${got}`);
      }
      // One connection's requests are appended in request order.
      if (a.baseOffset <= prev) expect.fail(`${where}: ${run.tag} #${a.seq} at ${a.baseOffset} is not after its predecessor at ${prev}`);
      prev = a.baseOffset;
    }
  });
  return rb.records.length;
}

/**
 * Admin and coordinator churn during the crashes: topics created (3 partitions, one record), every
 * other one deleted again; a consumer group's offset committed ever higher. What was acknowledged
 * must hold after the restart; what was in flight at the kill may go either way, but consistently.
 */
interface Churn {
  created: Set<string>;
  deleted: Set<string>;
  /** Topic → value of its acknowledged record. */
  records: Map<string, string>;
  /** Name of the topic whose create/delete may have been in flight at the kill. */
  inFlight: Set<string>;
  committed: number;
  /** Error answers (not connection loss) to creates/deletes. */
  unexpected: string[];
  stop: boolean;
  paused: boolean;
  idle: boolean;
  done: Promise<void>;
}

function runChurn(port: number): Churn {
  const run: Churn = { created: new Set(), deleted: new Set(), records: new Map(), inFlight: new Set(), committed: -1, unexpected: [], stop: false, paused: false, idle: false, done: Promise.resolve() };
  run.done = (async () => {
    let n = 0;
    let offset = 0;
    for (;;) {
      const c = await connectThroughRestarts(port, () => run.stop);
      if (!c) break;
      try {
        while (!run.stop) {
          while (run.paused && !run.stop) {
            run.idle = true;
            await sleep(5);
          }
          run.idle = false;
          const name = `churn-${n++}`;
          run.inFlight.add(name);
          const ct = await c.request(CreateTopicsFacts, 7, { topics: [{ name, numPartitions: 3, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
          if (ct.topics[0].errorCode !== 0) throw new Error(`create ${name}: ${ct.topics[0].errorCode}`);
          run.created.add(name);
          run.inFlight.delete(name);
          const value = `${name}-record`;
          if ((await produceTo(c, name, n % 3, batchOf([value]))).errorCode === 0) run.records.set(name, value);
          const next = ++offset;
          const oc = await c.request(OffsetCommitFacts, 7, { groupId: 'crash-group', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'crash-idem', partitions: [{ partitionIndex: 0, committedOffset: BigInt(next), committedLeaderEpoch: -1, committedMetadata: null }] }] });
          if (oc.topics[0].partitions[0].errorCode === 0) run.committed = next;
          if (n % 2 === 0) {
            run.inFlight.add(name);
            const dt = await c.request(DeleteTopicsFacts, 4, { topicNames: [name], timeoutMs: 5000 });
            if (dt.responses[0].errorCode !== 0) throw new Error(`delete ${name}: ${dt.responses[0].errorCode}`);
            run.created.delete(name);
            run.deleted.add(name);
            run.inFlight.delete(name);
          }
        }
      } catch (e) {
        // The broker went away mid-request: reconnect to the next incarnation. An error answer is a failure.
        if (/^(create|delete) /.test((e as Error).message)) run.unexpected.push((e as Error).message);
      } finally {
        c.close();
      }
    }
  })();
  return run;
}

async function verifyChurn(port: number, dataDir: string, snap: { created: string[]; deleted: string[]; records: Map<string, string>; inFlight: string[]; committed: number }): Promise<number> {
  const c = await RawClient.connect(port);
  try {
    const m = await c.request(MetadataFacts, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
    const listed = new Map<string, any>(m.topics.filter((t: any) => t.name.startsWith('churn-')).map((t: any) => [t.name, t]));
    // (A created topic whose deletion was in flight at the kill may go either way.)
    for (const name of snap.created) if (!snap.inFlight.includes(name)) expect(listed.has(name), `acknowledged topic ${name} exists after the crash`).toBe(true);
    for (const name of snap.deleted) expect(listed.has(name), `acknowledged deletion of ${name} holds after the crash`).toBe(false);
    // Whatever exists (including creations in flight at the kill) is whole and usable.
    for (const [name, t] of listed) {
      expect(t.errorCode, name).toBe(0);
      expect(t.partitions.map((p: any) => p.partitionIndex).sort(), `${name} partitions`).toEqual([0, 1, 2]);
    }
    const dirs = (await readdir(dataDir)).filter((d) => d.startsWith('churn-'));
    for (const d of dirs) {
      const topic = d.replace(/-\d+$/, '');
      if (!listed.has(topic)) expect.fail(`directory ${d} left behind for a topic that does not exist`);
    }
    let checked = 0;
    for (const [name, value] of snap.records) {
      if (!listed.has(name)) continue;
      for (let p = 0; p < 3; p++) {
        const f = await fetchAt(c, name, p, 0);
        const values = decodeRecordsBlob(f.records ?? Buffer.alloc(0)).map((r) => r.value!.toString());
        if (values.includes(value)) checked++;
      }
    }
    const withRecord = [...snap.records.keys()].filter((n) => listed.has(n)).length;
    expect(checked, 'every acknowledged record of a surviving churn topic is readable').toBe(withRecord);
    const of = await c.request(OffsetFetchFacts, 7, { groupId: 'crash-group', topics: [{ name: 'crash-idem', partitionIndexes: [0] }], requireStable: false });
    const committed = Number(of.topics[0].partitions[0].committedOffset);
    expect(committed, 'acknowledged offset commit survives').toBeGreaterThanOrEqual(snap.committed);
    return checked;
  } finally {
    c.close();
  }
}

/** Every .index entry names an offset inside the batch found at its position (after a clean stop). */
async function verifyIndexFiles(dataDir: string, topic: string): Promise<number> {
  const dir = join(dataDir, `${topic}-0`);
  let entries = 0;
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.index'))) {
    const base = Number(name.slice(0, 20));
    const index = await readFile(join(dir, name));
    const log = await readFile(join(dir, name.replace(/\.index$/, '.log')));
    expect(index.length % 8, `${name} holds whole entries`).toBe(0);
    for (let at = 0; at < index.length; at += 8) {
      const rel = index.readInt32BE(at);
      const pos = index.readInt32BE(at + 4);
      expect(pos + 61, `${name} entry ${at / 8}: position ${pos} inside the log`).toBeLessThanOrEqual(log.length);
      const batchBase = Number(log.readBigInt64BE(pos));
      const last = batchBase + log.readInt32BE(pos + 23);
      expect(base + rel, `${name} entry ${at / 8}`).toBeGreaterThanOrEqual(batchBase);
      expect(base + rel, `${name} entry ${at / 8}`).toBeLessThanOrEqual(last);
      entries++;
    }
  }
  return entries;
}

describe('crash safety (SIGKILL under acks=all load)', () => {
  it(`${ROUNDS} kill rounds lose no acknowledged record`, { timeout: scale(90_000, 1_200_000) }, async () => {
    const random = seededRandom(SEED);
    const dataDir = await tempDir('kstream-crash-');
    // Small segments so rolls, snapshots and multi-segment recovery happen within the test.
    const serveArgs = (mode: string) => ['--fsync', mode, '--config', 'log.segment.bytes=65536', '--config', 'num.partitions=1'];
    let child: ChildBroker = await startServe({ dataDir, args: serveArgs(MODES[0]) });
    const port = child.port;
    const kafka = new Kafka({
      clientId: 'crash',
      brokers: [`127.0.0.1:${port}`],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3, initialRetryTime: 50, maxRetryTime: 300 },
      connectionTimeout: 1000,
      requestTimeout: 5000,
    });
    const idem = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
    const plain = kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: true });
    await Promise.all([idem.connect(), plain.connect()]);
    const runs = [runProducer(idem, 'idem', 'crash-idem', 7), runProducer(plain, 'plain', 'crash-plain', 5)];
    const pipes = [runPipe(port, 'pipeA', 'none'), runPipe(port, 'pipeB', 'gzip'), runPipe(port, 'pipeC', 'lz4'), runPipe(port, 'pipeD', 'zstd')];
    const churn = runChurn(port);
    let survived = 0;
    let checked = 0;
    let churnChecked = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        // Let both producers make progress against this incarnation, then kill at a random moment.
        const before = runs.map((r) => r.acked.length);
        const pipesBefore = pipes.map((r) => r.acked.length);
        const progressed = await eventually(() => runs.every((r, i) => r.acked.length > before[i]!) && pipes.every((r, i) => r.acked.length > pipesBefore[i]!), 20_000);
        expect(progressed, `round ${round}: producers made no progress\n${child.output().slice(-3000)}`).toBe(true);
        await sleep(Math.floor(random() * 600));
        kills++;
        child.kill('SIGKILL');
        expect(await child.exited).toBe('SIGKILL');
        const acked = runs.map((r) => [...r.acked]);
        const pipeAcked = pipes.map((r) => [...r.acked]);
        const churnSnap = { created: [...churn.created], deleted: [...churn.deleted], records: new Map(churn.records), inFlight: [...churn.inFlight], committed: churn.committed };

        child = await startServe({ dataDir, port, args: serveArgs(MODES[(round + 1) % MODES.length]!) });
        expect(child.output()).not.toMatch(/ERROR/);
        // Verify a still log: producers pause (their unacknowledged sends retried after the check).
        for (const r of [...runs, ...pipes, churn]) r.paused = true;
        expect(await eventually(() => runs.every((r) => r.idle) && pipes.every((r) => r.inFlight === 0) && churn.idle, 30_000), 'producers pause').toBe(true);
        churnChecked += await verifyChurn(port, dataDir, churnSnap);
        for (let i = 0; i < runs.length; i++) checked += await verify(port, runs[i]!, acked[i]!, i === 0, random);
        checked += await verifyPipes(port, pipes, pipeAcked);
        for (const r of [...runs, ...pipes, churn]) r.paused = false;
        survived++;
      }
    } finally {
      for (const r of [...runs, ...pipes, churn]) r.stop = true;
      await Promise.race([Promise.all([...runs, ...pipes, churn].map((r) => r.done)), sleep(10_000)]);
      await Promise.allSettled([idem.disconnect(), plain.disconnect()]);
    }
    // Finally a clean stop: index files on disk agree with the logs, and everything is still there.
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    let indexEntries = 0;
    for (const t of [...runs.map((r) => r.topic), PIPE_TOPIC]) indexEntries += await verifyIndexFiles(dataDir, t);
    child = await startServe({ dataDir, port });
    for (let i = 0; i < runs.length; i++) checked += await verify(port, runs[i]!, runs[i]!.acked, i === 0, random);
    checked += await verifyPipes(port, pipes, pipes.map((r) => r.acked));
    child.kill('SIGTERM');
    await child.exited;
    const ackedTotal = runs.reduce((n, r) => n + r.acked.length, 0) + pipes.reduce((n, r) => n + 3 * r.acked.length, 0);
    console.log(
      `crash: ${survived} kill rounds survived, ${ackedTotal} acknowledged records (${runs.map((r) => `${r.tag} ${r.acked.length}`).join(', ')}, pipelined ${pipes.reduce((n, r) => n + 3 * r.acked.length, 0)}), ` +
        `${checked} record reads checked, ${indexEntries} index entries verified, ${churn.created.size + churn.deleted.size} topics created (${churn.deleted.size} deleted) and ${churnChecked} churn records checked, offsets committed up to ${churn.committed}, seed ${SEED}`,
    );
    expect(survived).toBe(ROUNDS);
    expect(churn.unexpected).toEqual([]);
  });
});

describe.skipIf(!hasKcat)('crash safety with librdkafka (kcat, idempotent, acks=all)', () => {
  it(`kcat delivers every line exactly once, in order, across ${scale(2, 10)} SIGKILLs`, { timeout: scale(60_000, 600_000) }, async () => {
    const random = seededRandom(SEED + 1);
    const kills = scale(2, 10);
    const lines = scale(6000, 30000);
    const dataDir = await tempDir('kstream-crash-kcat-');
    let child = await startServe({ dataDir, args: ['--config', 'log.segment.bytes=65536'] });
    const port = child.port;
    const admin = await RawClient.connect(port);
    await createTopic(admin, 'crash-kcat', 1);
    admin.close();
    // librdkafka retries until message.timeout.ms; idempotence keeps retries from duplicating or reordering.
    const kcat = spawn('kcat', [
      '-b', `127.0.0.1:${port}`, '-t', 'crash-kcat', '-P', '-p', '0', '-E',
      '-X', 'enable.idempotence=true', '-X', 'acks=all', '-X', 'message.timeout.ms=120000',
      '-X', 'linger.ms=5', '-X', 'reconnect.backoff.ms=20', '-X', 'reconnect.backoff.max.ms=200',
      '-X', 'topic.metadata.refresh.interval.ms=1000',
    ], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    kcat.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((res) => kcat.once('close', (code) => res(code)));
    // Feed the lines over time, killing and restarting the broker in between.
    const killAt = new Set(Array.from({ length: kills }, (_, i) => Math.floor(((i + 1) * lines) / (kills + 1)) + Math.floor(random() * 200)));
    for (let i = 0; i < lines; i += 100) {
      kcat.stdin.write(Array.from({ length: 100 }, (_, j) => `k-${i + j}\n`).join(''));
      await sleep(5);
      if ([...killAt].some((k) => k >= i && k < i + 100)) {
        await sleep(Math.floor(random() * 50));
        child.kill('SIGKILL');
        await child.exited;
        child = await startServe({ dataDir, port });
      }
    }
    kcat.stdin.end();
    const code = await Promise.race([exited, sleep(150_000).then(() => 'timeout' as const)]);
    if (code === 'timeout') kcat.kill('SIGKILL');
    expect(code, `kcat exit (stderr: ${stderr.slice(-2000)})`).toBe(0);
    const rb = await readAll(port, 'crash-kcat');
    const values = rb.records.map((r) => r.value);
    const firstBad = values.findIndex((v, i) => v !== `k-${i}`);
    expect(firstBad === -1 ? null : `offset ${firstBad}: ${values[firstBad]} (then ${values.slice(firstBad + 1, firstBad + 4).join(', ')})`, `${values.length} of ${lines} lines`).toBeNull();
    expect(values.length).toBe(lines);
    expect(await listOffset(port, 'crash-kcat', 0, -1)).toBe(lines);
    child.kill('SIGTERM');
    await child.exited;
    console.log(`crash: kcat idempotent producer — ${lines} lines exactly once and in order across ${kills} SIGKILLs (seed ${SEED})`);
  });
});

describe('crash safety while retention deletes segments', () => {
  it(`${scale(4, 25)} kills while size retention runs every 100 ms`, { timeout: scale(60_000, 600_000) }, async () => {
    const random = seededRandom(SEED + 2);
    const dataDir = await tempDir('kstream-crash-ret-');
    const args = ['--config', 'log.retention.check.interval.ms=100'];
    let child = await startServe({ dataDir, args });
    const port = child.port;
    const admin = await RawClient.connect(port);
    await createTopic(admin, 'crash-ret', 1, { 'segment.bytes': '4096', 'retention.bytes': '16384' });
    admin.close();
    const pipe = runPipe(port, 'ret', 'none', 'crash-ret');
    let lastEarliest = 0;
    let deletedSegments = 0;
    try {
      for (let round = 0; round < scale(4, 25); round++) {
        const before = pipe.acked.length;
        expect(await eventually(() => pipe.acked.length > before + 200, 30_000), `round ${round}: no progress`).toBe(true);
        await sleep(Math.floor(random() * 300));
        child.kill('SIGKILL');
        await child.exited;
        deletedSegments += (child.output().match(/deleting segment \d+ .* by /g) ?? []).length;
        const acked = [...pipe.acked];
        child = await startServe({ dataDir, port, args });
        pipe.paused = true;
        expect(await eventually(() => pipe.inFlight === 0, 30_000)).toBe(true);
        // Retention keeps running (every 100 ms) and may move the log start under a read: read again then.
        let rb: Awaited<ReturnType<typeof readAll>> | null = null;
        for (let attempt = 0; rb === null; attempt++) {
          try {
            rb = await readAll(port, 'crash-ret');
          } catch (e) {
            if (attempt >= 20 || !/error 1$/.test((e as Error).message)) throw e;
          }
        }
        const earliest = rb.records[0]?.offset ?? rb.highWatermark;
        expect(earliest, `round ${round}: the log start never moves back`).toBeGreaterThanOrEqual(lastEarliest);
        lastEarliest = earliest;
        rb.records.forEach((r, i) => {
          if (r.offset !== earliest + i) expect.fail(`round ${round}: record ${i} after the log start ${earliest} has offset ${r.offset}`);
        });
        expect(rb.highWatermark).toBe(earliest + rb.records.length);
        expect(await listOffset(port, 'crash-ret', 0, -1)).toBe(rb.highWatermark);
        expect(await listOffset(port, 'crash-ret', 0, -2)).toBeGreaterThanOrEqual(earliest);
        for (const a of acked) {
          if (a.baseOffset < earliest) continue;
          for (let j = 0; j < 3; j++) {
            const got: string | undefined = rb.records[a.baseOffset + j - earliest]?.value;
            if (got !== pipeValue('ret', a.seq, j)) expect.fail(`round ${round}: acked #${a.seq} at ${a.baseOffset}+${j} holds ${got}`);
          }
        }
        if (earliest > 0) {
          const c = await RawClient.connect(port);
          expect((await fetchAt(c, 'crash-ret', 0, earliest - 1)).errorCode, 'below the log start').toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
          c.close();
        }
        pipe.paused = false;
      }
    } finally {
      pipe.stop = true;
      await Promise.race([pipe.done, sleep(5000)]);
    }
    expect(lastEarliest, 'retention deleted segments').toBeGreaterThan(0);
    child.kill('SIGTERM');
    await child.exited;
    console.log(`crash: retention — ${scale(4, 25)} kills while deleting segments (${deletedSegments} deletions logged), log start reached ${lastEarliest}, seed ${SEED}`);
  });
});
