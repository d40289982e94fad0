/**
 * Storage for replication: the leader-epoch cache and its `leader-epoch-checkpoint` file (Kafka's
 * LeaderEpochFileCache semantics and format), a follower's append of batches as the leader wrote them,
 * truncation (segments, indexes, producer state, epoch cache) and the replication-offset-checkpoint.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeIO } from '../../src/storage/io.ts';
import { LeaderEpochCache, parseLeaderEpochCheckpoint } from '../../src/storage/leader-epoch-cache.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { makeTempDir } from '../helpers/index.ts';
import { batchOf, listBatches, makeBatch, memoryLogger } from './helpers.ts';

let dir: string;
let cleanup: () => Promise<void>;
const managers: LogManager[] = [];
const clock = 1_700_000_000_000;

async function open(sub = 'd', config = {}) {
  const m = await LogManager.open({ dataDir: join(dir, sub), now: () => clock, logger: memoryLogger(), config });
  managers.push(m);
  return m;
}

beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('kstream-replica-log-'));
});
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close().catch(() => undefined);
  await cleanup();
});

describe('LeaderEpochCache', () => {
  it('assigns, answers endOffsetFor as Kafka, truncates, and persists in Kafka’s checkpoint format', async () => {
    const c = await LeaderEpochCache.load(nodeIO, dir);
    expect(c.endOffsetFor(0, 10)).toEqual({ epoch: -1, endOffset: -1 });
    await c.assign(1, 0);
    await c.assign(1, 5); // same epoch, later start: ignored
    await c.assign(3, 10);
    await c.assign(5, 20);
    expect(c.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 5, startOffset: 20 }]);
    expect(await readFile(join(dir, 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n3\n1 0\n3 10\n5 20\n');
    expect(c.endOffsetFor(5, 42)).toEqual({ epoch: 5, endOffset: 42 }); // latest: the log end
    expect(c.endOffsetFor(3, 42)).toEqual({ epoch: 3, endOffset: 20 });
    expect(c.endOffsetFor(4, 42)).toEqual({ epoch: 3, endOffset: 20 }); // unknown epoch between: the floor's end
    expect(c.endOffsetFor(0, 42)).toEqual({ epoch: 0, endOffset: 0 }); // older than all
    expect(c.endOffsetFor(6, 42)).toEqual({ epoch: -1, endOffset: -1 }); // newer than all
    expect(c.endOffsetFor(-1, 42)).toEqual({ epoch: -1, endOffset: -1 });
    // A new entry removes the ones it contradicts (start offset at or above its own).
    await c.assign(6, 15);
    expect(c.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }, { epoch: 6, startOffset: 15 }]);
    await c.truncateFromEnd(12);
    expect(c.all).toEqual([{ epoch: 1, startOffset: 0 }, { epoch: 3, startOffset: 10 }]);
    await c.truncateFromStart(11);
    expect(c.all).toEqual([{ epoch: 3, startOffset: 11 }]);
    const again = await LeaderEpochCache.load(nodeIO, dir);
    expect(again.all).toEqual([{ epoch: 3, startOffset: 11 }]);
    expect(() => parseLeaderEpochCheckpoint('1\n0\n', 'x')).toThrow(/version/);
    expect(() => parseLeaderEpochCheckpoint('0\n2\n1 0\n', 'x')).toThrow(/entries/);
  });
});

describe('follower log', () => {
  it('appendAsFollower keeps offsets, epochs and bytes; truncateTo cuts batches, segments and the epoch cache', async () => {
    const leaderM = await open('leader', { topicDefaults: { 'segment.bytes': '400' } });
    const followerM = await open('follower', { topicDefaults: { 'segment.bytes': '400' } });
    await leaderM.createTopic('t', { partitions: 1 });
    await followerM.createTopic('t', { partitions: 1 });
    const leader = leaderM.partition('t', 0)!;
    const follower = followerM.partition('t', 0)!;
    leader.leaderEpoch = 2;
    for (let i = 0; i < 6; i++) await leader.append(batchOf(3, clock + i), { logAppendTime: false });
    leader.leaderEpoch = 4;
    for (let i = 0; i < 4; i++) await leader.append(batchOf(2, clock + 10 + i), { logAppendTime: false });
    expect(leader.logEndOffset).toBe(26);
    expect(leader.segmentList.length).toBeGreaterThan(1);
    // Replicate everything, in fetch-sized pieces read up to the log end.
    while (follower.logEndOffset < leader.logEndOffset) {
      const r = await leader.read(follower.logEndOffset, 300, { toLogEnd: true });
      await follower.appendAsFollower(Buffer.from(r.records));
      r.release?.();
    }
    expect(follower.logEndOffset).toBe(26);
    // Every batch up to the log end (a read returns batches of one segment at a time).
    const all = async (l: typeof leader) => {
      const parts: Buffer[] = [];
      for (let at = l.logStartOffset; at < l.logEndOffset; ) {
        const r = await l.read(at, 1 << 20, { toLogEnd: true });
        const got = Buffer.from(r.records);
        r.release?.();
        if (got.length === 0) break;
        parts.push(got);
        at = listBatches(got).at(-1)!.lastOffset + 1;
      }
      return Buffer.concat(parts);
    };
    expect(await all(follower)).toEqual(await all(leader));
    expect(follower.epochCache.all).toEqual([{ epoch: 2, startOffset: 0 }, { epoch: 4, startOffset: 18 }]);
    expect(listBatches(await all(follower)).map((b) => b.leaderEpoch)).toEqual([2, 2, 2, 2, 2, 2, 4, 4, 4, 4]);

    // Truncate into the middle of a batch: the whole batch goes (Kafka cuts at batch boundaries).
    expect(await follower.truncateTo(19)).toBe(18);
    expect(follower.epochCache.all).toEqual([{ epoch: 2, startOffset: 0 }]);
    expect(await readFile(join(dir, 'follower', 't-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n2 0\n');
    expect(listBatches(await all(follower)).map((b) => b.lastOffset).at(-1)).toBe(17);
    // Segments past the point are gone from disk; appending continues at the new end.
    const logs = (await readdir(join(dir, 'follower', 't-0'))).filter((f) => f.endsWith('.log'));
    expect(logs.every((f) => Number(f.slice(0, 20)) < 18)).toBe(true);
    while (follower.logEndOffset < leader.logEndOffset) {
      const r = await leader.read(follower.logEndOffset, 1 << 20, { toLogEnd: true });
      await follower.appendAsFollower(Buffer.from(r.records));
      r.release?.();
    }
    expect(await all(follower)).toEqual(await all(leader));
    // A follower that is behind the leader's start starts over there.
    expect(await follower.truncateFullyAndStartAt(30)).toBe(30);
    expect([follower.logStartOffset, follower.logEndOffset, follower.epochCache.all.length]).toEqual([30, 30, 0]);
  });

  it('truncateTo at the log end still drops an epoch started there without records (a leader deposed before its first append)', async () => {
    const m = await open();
    await m.createTopic('e', { partitions: 1 });
    const log = m.partition('e', 0)!;
    log.leaderEpoch = 4;
    await log.epochCache.assign(4, 0);
    for (let i = 0; i < 3; i++) await log.append(batchOf(2, clock + i), { logAppendTime: false });
    // Became leader at epoch 5 (the epoch starts at the log end) and was deposed before appending.
    await log.epochCache.assign(5, log.logEndOffset);
    expect(log.epochCache.latestEpoch).toBe(5);
    // The new leader's epoch 4 ends at 6 = our log end: nothing to cut, but epoch 5 must go, or this
    // follower names it as its last fetched epoch and is told to diverge again and again.
    expect(await log.truncateTo(6)).toBe(6);
    expect(log.epochCache.all).toEqual([{ epoch: 4, startOffset: 0 }]);
    expect(await readFile(join(dir, 'd', 'e-0', 'leader-epoch-checkpoint'), 'utf8')).toBe('0\n1\n4 0\n');
  });

  it('truncation drops producer state of removed batches; the high watermark is checkpointed', async () => {
    const m = await open();
    await m.createTopic('p', { partitions: 1 });
    const log = m.partition('p', 0)!;
    await log.append(makeBatch([{ value: 'a', timestamp: clock }], { producerId: 7n, producerEpoch: 0, baseSequence: 0 }), { logAppendTime: false });
    await log.append(makeBatch([{ value: 'b', timestamp: clock }], { producerId: 7n, producerEpoch: 0, baseSequence: 1 }), { logAppendTime: false });
    await log.truncateTo(1);
    // Sequence 1 is no longer a duplicate: it is appended again at offset 1.
    const again = await log.append(makeBatch([{ value: 'b', timestamp: clock }], { producerId: 7n, producerEpoch: 0, baseSequence: 1 }), { logAppendTime: false });
    expect([again.duplicate, again.baseOffset]).toEqual([false, 1]);
    await m.writeCheckpoints();
    expect(await readFile(join(dir, 'd', 'replication-offset-checkpoint'), 'utf8')).toMatch(/^0\n\d+\n(.*\n)*p 0 2\n/);
  });
});
