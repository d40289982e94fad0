/**
 * Recovery from damaged files: a compiled `kstream serve` writes a multi-segment partition, is stopped
 * (SIGKILL for "crashed", SIGTERM for "clean"), and the files are then damaged directly on disk —
 * torn and corrupt segment tails, garbage appended, corrupt batches mid-segment, torn / garbage /
 * missing index files. On restart recovery must:
 *   - keep every batch before the damage, byte-exact values at the same offsets;
 *   - drop exactly the damaged batch and what follows it, and log a warning naming the file,
 *     the bytes dropped and the first dropped offset;
 *   - leave indexes that agree with the log (a Fetch at every offset starts at that offset);
 *   - accept new appends at the recovered log end.
 */
import { cp, open, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, sleep, RawClient, seededRandom, tempDir, type ChildBroker } from '../helpers/index.ts';
import { batchesOfLogFile, batchOf, createTopic, fetchAt, firstOffsetFetchedAt, listOffset, produceTo, readAll, scale, SEED, startServe } from './helpers.ts';
import {
  CreateTopicsFacts, DeleteRecordsFacts, DeleteTopicsFacts, DescribeConfigsFacts, IncrementalAlterConfigsFacts,
  InitProducerIdFacts, MetadataFacts,
} from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const TOPIC = 'rec';
const BATCHES = 80;
const PER_BATCH = 5;
const value = (i: number) => `v-${i}-${'x'.repeat(80)}`;
let crashed: string;
let clean: string;

afterAll(closeAll);

beforeAll(async () => {
  crashed = await tempDir('kstream-rec-crashed-');
  const child = await startServe({ dataDir: crashed });
  const c = await RawClient.connect(child.port);
  try {
    await createTopic(c, TOPIC, 1, { 'segment.bytes': '8192', 'index.interval.bytes': '1024' });
    for (let b = 0; b < BATCHES; b++) {
      const r = await produceTo(c, TOPIC, 0, batchOf(Array.from({ length: PER_BATCH }, (_, i) => value(b * PER_BATCH + i))));
      expect(r.errorCode).toBe(0);
    }
  } finally {
    c.close();
  }
  child.kill('SIGKILL');
  await child.exited;
  // The clean template: same data, recovered once and shut down cleanly (marker present).
  clean = await tempDir('kstream-rec-clean-');
  await cp(crashed, clean, { recursive: true });
  const again = await startServe({ dataDir: clean });
  again.kill('SIGTERM');
  expect(await again.exited).toBe(0);
}, 60_000);

const partDir = (dataDir: string) => join(dataDir, `${TOPIC}-0`);

async function segments(dataDir: string): Promise<string[]> {
  return (await readdir(partDir(dataDir))).filter((n) => n.endsWith('.log')).sort();
}

/** A copy of a template to damage. */
async function copyOf(template: string): Promise<string> {
  const dir = await tempDir('kstream-rec-case-');
  await cp(template, dir, { recursive: true });
  return dir;
}

async function flipByte(path: string, position: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    await fh.read(b, 0, 1, position);
    b[0] = b[0]! ^ 0x5a;
    await fh.write(b, 0, 1, position);
  } finally {
    await fh.close();
  }
}

/**
 * Starts on `dataDir`, checks the partition now holds exactly the first `expectRecords` records,
 * that the indexes find every offset, and that a new append lands at the log end. Returns the output.
 */
async function restartAndCheck(dataDir: string, expectRecords: number): Promise<string> {
  const child: ChildBroker = await startServe({ dataDir });
  try {
    const rb = await readAll(child.port, TOPIC);
    expect(rb.records.length).toBe(expectRecords);
    rb.records.forEach((r, i) => {
      if (r.offset !== i || r.value !== value(i)) expect.fail(`record ${i}: offset ${r.offset} value ${r.value.slice(0, 12)}`);
    });
    expect(rb.highWatermark).toBe(expectRecords);
    expect(await listOffset(child.port, TOPIC, 0, -1)).toBe(expectRecords);
    const c = await RawClient.connect(child.port);
    try {
      for (let o = 0; o < expectRecords; o++) {
        const got = await firstOffsetFetchedAt(c, TOPIC, 0, o);
        if (got !== o) expect.fail(`fetch at ${o} starts at ${got}`);
      }
      const r = await produceTo(c, TOPIC, 0, batchOf(['after-recovery']));
      expect(r.errorCode).toBe(0);
      expect(Number(r.baseOffset)).toBe(expectRecords);
    } finally {
      c.close();
    }
    return child.output();
  } finally {
    child.kill('SIGTERM');
    await child.exited;
  }
}

describe('recovery repairs damaged files and says what it dropped', () => {
  it('template: several segments, all records readable', async () => {
    expect((await segments(crashed)).length).toBeGreaterThanOrEqual(4);
    await restartAndCheck(await copyOf(crashed), BATCHES * PER_BATCH);
  });

  it('torn tail: the active segment cut in the middle of its last batch', async () => {
    const dir = await copyOf(crashed);
    const segs = await segments(dir);
    const active = join(partDir(dir), segs.at(-1)!);
    const batches = batchesOfLogFile(await readFile(active));
    const last = batches.at(-1)!;
    await truncate(active, last.position + Math.floor(last.size / 2));
    const out = await restartAndCheck(dir, BATCHES * PER_BATCH - PER_BATCH);
    expect(out).toMatch(new RegExp(`WARN .*recovery truncated ${Math.floor(last.size / 2)} bytes of \\S*${segs.at(-1)} at position ${last.position} \\(incomplete batch.*dropped offsets from ${last.baseOffset}`));
  });

  it('corrupt tail: a flipped byte in the last batch fails its CRC', async () => {
    const dir = await copyOf(crashed);
    const active = join(partDir(dir), (await segments(dir)).at(-1)!);
    const last = batchesOfLogFile(await readFile(active)).at(-1)!;
    await flipByte(active, last.position + last.size - 10);
    const out = await restartAndCheck(dir, BATCHES * PER_BATCH - PER_BATCH);
    expect(out).toMatch(new RegExp(`recovery truncated ${last.size} bytes .*CRC-32C mismatch at position ${last.position}.*dropped offsets from ${last.baseOffset}`));
  });

  it('a corrupt batch in the middle of the active segment drops it and everything after', async () => {
    const dir = await copyOf(crashed);
    const active = join(partDir(dir), (await segments(dir)).at(-1)!);
    const batches = batchesOfLogFile(await readFile(active));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    const victim = batches[1]!;
    await flipByte(active, victim.position + 40); // inside the CRC-covered header (producer id)
    const out = await restartAndCheck(dir, victim.baseOffset);
    expect(out).toMatch(new RegExp(`dropped offsets from ${victim.baseOffset}; log now ends at offset ${victim.baseOffset}`));
  });

  it('a corrupted length field (absurd batch length) in the tail', async () => {
    const dir = await copyOf(crashed);
    const active = join(partDir(dir), (await segments(dir)).at(-1)!);
    const last = batchesOfLogFile(await readFile(active)).at(-1)!;
    const fh = await open(active, 'r+');
    const len = Buffer.alloc(4);
    len.writeInt32BE(0x7ffffff0);
    await fh.write(len, 0, 4, last.position + 8);
    await fh.close();
    const out = await restartAndCheck(dir, BATCHES * PER_BATCH - PER_BATCH);
    expect(out).toMatch(/recovery truncated \d+ bytes .*dropped offsets from/);
  });

  it('garbage appended after the last batch (random bytes, then zeros)', async () => {
    for (const junk of [Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 97 + 13) & 0xff)), Buffer.alloc(4096)]) {
      const dir = await copyOf(crashed);
      const active = join(partDir(dir), (await segments(dir)).at(-1)!);
      await writeFile(active, junk, { flag: 'a' });
      const out = await restartAndCheck(dir, BATCHES * PER_BATCH);
      expect(out).toMatch(new RegExp(`recovery truncated ${junk.length} bytes`));
    }
  });

  it('crash + lost recovery checkpoint + a corrupt batch in the first segment: later segments are dropped, and said so', async () => {
    const dir = await copyOf(crashed);
    await rm(join(dir, 'recovery-point-offset-checkpoint'), { force: true });
    const segs = await segments(dir);
    const first = join(partDir(dir), segs[0]!);
    const victim = batchesOfLogFile(await readFile(first))[2]!;
    await flipByte(first, victim.position + 70);
    const out = await restartAndCheck(dir, victim.baseOffset);
    expect(out).toMatch(new RegExp(`dropped offsets from ${victim.baseOffset}`));
    expect(out.match(/deleting segment \S+ after the corrupt point/g)?.length).toBe(segs.length - 1);
  });

  for (const template of ['crashed', 'clean'] as const) {
    it(`${template}: garbage, torn and missing index files are rebuilt from the log`, async () => {
      const dir = await copyOf(template === 'crashed' ? crashed : clean);
      const names = await readdir(partDir(dir));
      const indexes = names.filter((n) => n.endsWith('.index'));
      const times = names.filter((n) => n.endsWith('.timeindex'));
      expect(indexes.length).toBeGreaterThanOrEqual(5);
      // First index: garbage; second: torn (not whole entries); third: deleted; the rest (incl. the active one): plausible but wrong entries.
      await writeFile(join(partDir(dir), indexes[0]!), Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 31 + 7) & 0xff)));
      await truncate(join(partDir(dir), indexes[1]!), 5);
      await rm(join(partDir(dir), indexes[2]!));
      for (const n of indexes.slice(3)) {
        const bogus = Buffer.alloc(16);
        bogus.writeInt32BE(1, 0);
        bogus.writeInt32BE(3, 4); // position 3: inside the first batch, not a batch start
        bogus.writeInt32BE(2, 8);
        bogus.writeInt32BE(7000, 12);
        await writeFile(join(partDir(dir), n), bogus);
      }
      for (const n of times) await writeFile(join(partDir(dir), n), Buffer.from('not a time index'));
      const out = await restartAndCheck(dir, BATCHES * PER_BATCH);
      if (template === 'clean') {
        // Trusted files: each damaged index is found when loaded, rebuilt, and logged with its name.
        for (const n of [indexes[0]!, indexes[1]!, ...indexes.slice(3)]) {
          expect(out).toMatch(new RegExp(`WARN .*rebuilding the indexes of segment ${Number(n.slice(0, 20))} from its log: \\S*${n.slice(0, 20)}\\.(time)?index`));
        }
      } else {
        // After a crash without a recovery checkpoint every segment is re-validated and its indexes rebuilt anyway.
        expect(out).toMatch(/no clean shutdown marker .*validating partition tails/);
      }
    });
  }

  it('clean marker but a torn active segment anyway: recovered, not trusted', async () => {
    const dir = await copyOf(clean);
    const active = join(partDir(dir), (await segments(dir)).at(-1)!);
    const last = batchesOfLogFile(await readFile(active)).at(-1)!;
    await truncate(active, last.position + 20);
    const out = await restartAndCheck(dir, BATCHES * PER_BATCH - PER_BATCH);
    expect(out).toMatch(/despite a clean shutdown; recovering the segment/);
    expect(out).toMatch(new RegExp(`recovery truncated 20 bytes .*dropped offsets from ${last.baseOffset}`));
  });
});

describe('SIGKILL in the middle of topic creation and deletion', () => {
  /** The topic is absent (no directories left) or whole: every partition listed and writable. */
  async function absentOrWhole(child: ChildBroker, name: string, partitions: number): Promise<'absent' | 'whole'> {
    const c = await RawClient.connect(child.port);
    try {
      const m = await c.request(MetadataFacts, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      const t = m.topics.find((x: any) => x.name === name);
      if (!t) {
        const dirs = (await readdir(child.dataDir)).filter((d) => d.startsWith(`${name}-`) && !d.endsWith('-delete'));
        expect(dirs.slice(0, 3), `directories of absent topic ${name}`).toEqual([]);
        return 'absent';
      }
      expect(t.partitions.length).toBe(partitions);
      expect(t.partitions.every((p: any) => p.errorCode === 0)).toBe(true);
      for (const p of [0, partitions - 1]) expect((await produceTo(c, name, p, batchOf(['after']))).errorCode, `${name}-${p}`).toBe(0);
      return 'whole';
    } finally {
      c.close();
    }
  }

  it(`${scale(2, 20)} kills during CreateTopics / DeleteTopics of 300 partitions`, { timeout: scale(60_000, 600_000) }, async () => {
    const random = seededRandom(SEED);
    const outcomes: string[] = [];
    for (let round = 0; round < scale(2, 20); round++) {
      const dataDir = await tempDir('kstream-rec-admin-');
      let child = await startServe({ dataDir });
      let c = await RawClient.connect(child.port);
      c.request(CreateTopicsFacts, 7, { topics: [{ name: 'wide', numPartitions: 300, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false }).catch(() => {});
      await sleep(Math.floor(random() * 300));
      child.kill('SIGKILL');
      await child.exited;
      c.close();
      child = await startServe({ dataDir });
      const created = await absentOrWhole(child, 'wide', 300);
      // Now delete a whole topic and kill during the deletion.
      c = await RawClient.connect(child.port);
      if (created === 'absent') await createTopic(c, 'wide', 300);
      c.request(DeleteTopicsFacts, 4, { topicNames: ['wide'], timeoutMs: 30_000 }).catch(() => {});
      await sleep(Math.floor(random() * 100));
      child.kill('SIGKILL');
      await child.exited;
      c.close();
      child = await startServe({ dataDir });
      const deleted = await absentOrWhole(child, 'wide', 300);
      expect(child.output()).not.toMatch(/ERROR/);
      outcomes.push(`${created}/${deleted}`);
      child.kill('SIGTERM');
      await child.exited;
    }
    console.log(`recovery: kills during create/delete of a 300-partition topic → ${outcomes.join(', ')} (seed ${SEED})`);
  });
});

describe('acknowledged DeleteRecords and config changes survive a crash', () => {
  it(`${scale(5, 30)} rounds: DeleteRecords answered, SIGKILL at once, the log start offset holds`, { timeout: scale(60_000, 300_000) }, async () => {
    const dataDir = await tempDir('kstream-rec-dr-');
    let child = await startServe({ dataDir });
    let c = await RawClient.connect(child.port);
    await createTopic(c, 'dr', 1, { 'segment.bytes': '4096' });
    let produced = 0;
    let deletedTo = 0;
    for (let round = 0; round < scale(5, 30); round++) {
      for (let i = 0; i < 40; i++, produced++) expect((await produceTo(c, 'dr', 0, batchOf([`dr-${produced}-${'y'.repeat(100)}`]))).errorCode).toBe(0);
      const to = deletedTo + 20 + (round % 7);
      const r = await c.request(DeleteRecordsFacts, 2, { topics: [{ name: 'dr', partitions: [{ partitionIndex: 0, offset: BigInt(to) }] }], timeoutMs: 5000 });
      expect(r.topics[0].partitions[0].errorCode).toBe(0);
      expect(Number(r.topics[0].partitions[0].lowWatermark)).toBe(to);
      deletedTo = to;
      child.kill('SIGKILL');
      await child.exited;
      c.close();
      child = await startServe({ dataDir });
      c = await RawClient.connect(child.port);
      expect(await listOffset(child.port, 'dr', 0, -2), `round ${round}: log start after the crash`).toBe(deletedTo);
      const rb = await readAll(child.port, 'dr');
      expect(rb.records[0]?.offset).toBe(deletedTo);
      expect(rb.records.at(-1)?.offset).toBe(produced - 1);
      expect((await fetchAt(c, 'dr', 0, deletedTo - 1)).errorCode, 'below the log start').toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    }
    // An acknowledged topic config change survives a crash too.
    const alter = await c.request(IncrementalAlterConfigsFacts, 1, { resources: [{ resourceType: 2, resourceName: 'dr', configs: [{ name: 'retention.ms', configOperation: 0, value: '12345678' }] }], validateOnly: false });
    expect(alter.responses[0].errorCode).toBe(0);
    child.kill('SIGKILL');
    await child.exited;
    c.close();
    child = await startServe({ dataDir });
    c = await RawClient.connect(child.port);
    const described = await c.request(DescribeConfigsFacts, 4, { resources: [{ resourceType: 2, resourceName: 'dr', configurationKeys: ['retention.ms'] }], includeSynonyms: false, includeDocumentation: false });
    expect(described.results[0].configs.find((x: any) => x.name === 'retention.ms')?.value, 'altered config after SIGKILL').toBe('12345678');
    c.close();
    child.kill('SIGTERM');
    await child.exited;
  });
});

describe('idempotent producer state survives damaged or missing snapshots', () => {
  for (const damage of ['garbage', 'truncated', 'deleted'] as const) {
    it(`${damage} producer snapshot: a resent batch is still recognised as a duplicate`, { timeout: 60_000 }, async () => {
      const dataDir = await tempDir('kstream-rec-snap-');
      let child = await startServe({ dataDir });
      let c = await RawClient.connect(child.port);
      await createTopic(c, 'snap', 1, { 'segment.bytes': '2048' });
      const init = await c.request(InitProducerIdFacts, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      expect(init.errorCode).toBe(0);
      const pid = Number(init.producerId);
      // 30 batches of 2 records (several segments, so snapshots are written at rolls and at close).
      const batches = Array.from({ length: 30 }, (_, i) => batchOf([`s${i}a-${'q'.repeat(150)}`, `s${i}b`], { producerId: pid, baseSequence: 2 * i }));
      for (const b of batches) expect((await produceTo(c, 'snap', 0, Buffer.from(b))).errorCode).toBe(0);
      c.close();
      // Damaged snapshots after a clean stop; missing ones after a crash (a clean stop always writes
      // one when producers exist, so a clean start without any trusts that there were none — as Kafka).
      child.kill(damage === 'deleted' ? 'SIGKILL' : 'SIGTERM');
      await child.exited;
      const dir = join(dataDir, 'snap-0');
      const snaps = (await readdir(dir)).filter((n) => n.endsWith('.snapshot'));
      expect(snaps.length).toBeGreaterThan(0);
      for (const n of snaps) {
        const path = join(dir, n);
        if (damage === 'garbage') await writeFile(path, Buffer.from('definitely not a producer snapshot'));
        else if (damage === 'truncated') await truncate(path, 7);
        else await rm(path);
      }
      child = await startServe({ dataDir });
      c = await RawClient.connect(child.port);
      try {
        // The last batch again (a producer retrying after a lost answer): same offsets, nothing written.
        const again = await produceTo(c, 'snap', 0, Buffer.from(batches[29]!));
        expect(again.errorCode, again.errorMessage).toBe(0);
        expect(Number(again.baseOffset)).toBe(58);
        // The next sequence is accepted at the log end; a gap is refused.
        const next = await produceTo(c, 'snap', 0, batchOf(['next'], { producerId: pid, baseSequence: 60 }));
        expect(next.errorCode, next.errorMessage).toBe(0);
        expect(Number(next.baseOffset)).toBe(60);
        const gap = await produceTo(c, 'snap', 0, batchOf(['gap'], { producerId: pid, baseSequence: 99 }));
        expect(gap.errorCode).toBe(ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER);
        expect(await listOffset(child.port, 'snap', 0, -1)).toBe(61);
        if (damage !== 'deleted') expect(child.output()).toMatch(/ignoring producer snapshot/);
      } finally {
        c.close();
        child.kill('SIGTERM');
        await child.exited;
      }
    });
  }
});
