import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LogManager } from '../../src/storage/log-manager.ts';
import { ProducerSequenceError } from '../../src/storage/errors.ts';
import { makeTempDir } from '../helpers/index.ts';
import { makeBatch, memoryLogger } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
const clock = 1_700_000_000_000;
const managers: LogManager[] = [];

async function open() {
  const m = await LogManager.open({ dataDir: dir, now: () => clock, logger: memoryLogger(), config: { durability: { mode: 'never' } } });
  managers.push(m);
  return m;
}

/** An idempotent batch of `n` records from producer 7 starting at sequence `seq`. */
const idem = (seq: number, n = 2, epoch = 0, pid = 7n) =>
  makeBatch(Array.from({ length: n }, (_, i) => ({ value: `s${seq + i}`.padEnd(120, '.'), timestamp: clock })), { producerId: pid, producerEpoch: epoch, baseSequence: seq });

beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-storage-')));
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

describe('idempotent producer state in the append path', () => {
  it('answers a retried batch with its original offsets without writing; rejects gaps (45) and old epochs (47)', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    expect(await log.append(idem(0), { logAppendTime: false })).toMatchObject({ baseOffset: 0, lastOffset: 1, duplicate: false });
    expect(await log.append(idem(2), { logAppendTime: false })).toMatchObject({ baseOffset: 2, lastOffset: 3 });
    await log.append(makeBatch([{ value: 'plain', timestamp: clock }]), { logAppendTime: false });
    const dup = await log.append(idem(0), { logAppendTime: false });
    expect(dup).toMatchObject({ baseOffset: 0, lastOffset: 1, duplicate: true });
    expect(log.logEndOffset).toBe(5);
    const gap = await log.append(idem(9), { logAppendTime: false }).catch((e) => e);
    expect(gap).toBeInstanceOf(ProducerSequenceError);
    expect(gap.errorCode).toBe(45);
    expect(await log.append(idem(0, 1, 1), { logAppendTime: false })).toMatchObject({ baseOffset: 5, duplicate: false }); // new epoch starts at 0
    await expect(log.append(idem(4, 1, 0), { logAppendTime: false })).rejects.toMatchObject({ errorCode: 47 });
    expect(log.logEndOffset).toBe(6);
  });

  it('keeps deduplicating after a clean restart (snapshot) and after a crash (replay), across rolls', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '1200' } });
    let log = m.partition('t', 0)!;
    for (let s = 0; s < 20; s += 2) await log.append(idem(s), { logAppendTime: false });
    expect(log.segmentList.length).toBeGreaterThan(2);
    await m.close();
    expect((await readdir(join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot')).length).toBeGreaterThan(0);
    const m2 = await open();
    log = m2.partition('t', 0)!;
    expect(await log.append(idem(18), { logAppendTime: false })).toMatchObject({ baseOffset: 18, duplicate: true });
    await expect(log.append(idem(30), { logAppendTime: false })).rejects.toMatchObject({ errorCode: 45 });
    await log.append(idem(20), { logAppendTime: false });
    managers.splice(0); // crash: no snapshot at the log end
    const m3 = await open();
    log = m3.partition('t', 0)!;
    expect(await log.append(idem(20), { logAppendTime: false })).toMatchObject({ baseOffset: 20, duplicate: true });
    expect(await log.append(idem(22), { logAppendTime: false })).toMatchObject({ baseOffset: 22, duplicate: false });
  });

  it('snapshots at every roll; a clean close of a log without producers leaves none (nothing to replay at start)', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1, configs: { 'segment.bytes': '600' } });
    const log = m.partition('t', 0)!;
    for (let i = 0; i < 6; i++) await log.append(makeBatch([{ value: 'x'.repeat(200), timestamp: clock }]), { logAppendTime: false });
    await log.flush(); // waits for the background roll flushes
    const snaps = async () => (await readdir(join(dir, 't-0'))).filter((f) => f.endsWith('.snapshot'));
    expect((await snaps()).length).toBe(2); // newest two kept
    await m.close();
    expect(await snaps()).toEqual([]);
    const m2 = await open();
    expect(m2.partition('t', 0)!.producerState.producerCount).toBe(0);
  });

  it('checks each batch of a group-committed write against the ones before it in the same group', async () => {
    const m = await open();
    await m.createTopic('t', { partitions: 1 });
    const log = m.partition('t', 0)!;
    await log.append(idem(0), { logAppendTime: false });
    // Issued together: they are written in one group; sequences must chain inside it.
    const results = await Promise.allSettled([
      log.append(idem(2), { logAppendTime: false }),
      log.append(idem(4), { logAppendTime: false }),
      log.append(idem(4), { logAppendTime: false }), // retry of the previous one, same group
      log.append(idem(9), { logAppendTime: false }), // gap
      log.append(idem(6), { logAppendTime: false }),
    ]);
    const v = results.map((r) => (r.status === 'fulfilled' ? [r.value.baseOffset, r.value.duplicate] : (r.reason as { errorCode: number }).errorCode));
    expect(v).toEqual([[2, false], [4, false], [4, true], 45, [6, false]]);
    expect(log.logEndOffset).toBe(8);
  });
});

