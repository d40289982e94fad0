import { describe, expect, it } from 'vitest';
import { useCleanupStack } from '../helpers/index.ts';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts';
import { OFFSETS_TOPIC, PartitionOffsetLog } from '../../src/coordinator/partition-offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { LogManager } from '../../src/storage/log-manager.ts';

const { defer, tempDir } = useCleanupStack();

async function open(dir: string, opts: { segmentBytes?: number } = {}) {
  const logs = await LogManager.open({ dataDir: dir });
  const offsetLog = await PartitionOffsetLog.open(logs, opts);
  const gc = await GroupCoordinator.load(offsetLog, { scheduler: new ManualScheduler() });
  const close = async () => {
    await gc.close();
    await logs.close();
  };
  defer(close);
  return { logs, gc, close };
}

const commit = (gc: GroupCoordinator, partition: number, offset: number) =>
  gc.commitOffsets({
    groupId: 'grp',
    generationId: -1,
    memberId: '',
    groupInstanceId: null,
    topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: BigInt(offset), committedLeaderEpoch: -1, committedMetadata: `m${offset}` }] }],
  });

describe('PartitionOffsetLog (__consumer_offsets through the storage layer)', () => {
  it('creates the internal compacted topic and brings commits and deletions back after a reopen', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    const first = await open(dir);
    const info = first.logs.getTopic(OFFSETS_TOPIC)!;
    expect(info).toMatchObject({ partitionCount: 1, internal: true });
    expect(first.logs.effectiveConfig(OFFSETS_TOPIC)['cleanup.policy']).toBe('compact');
    await commit(first.gc, 0, 10);
    await commit(first.gc, 1, 20);
    await commit(first.gc, 0, 11);
    await first.gc.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    await first.gc.deleteGroups(['gone']);
    expect(first.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset).toBe(6);
    await first.close();

    const second = await open(dir);
    expect(second.gc.groupIds).toEqual(['grp']);
    expect(second.gc.fetchOffsets('grp', null).topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([
      [0, 11n, 'm11'],
      [1, 20n, 'm20'],
    ]);
  });

  it('a new leader loads to its log end, not its high watermark: acknowledged commits past a lagging high watermark are kept', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    const logs = await LogManager.open({ dataDir: dir });
    defer(() => logs.close());
    const offsetLog = await PartitionOffsetLog.open(logs);
    const first = await GroupCoordinator.load(offsetLog, { scheduler: new ManualScheduler() });
    await commit(first, 0, 10);
    await commit(first, 0, 11);
    await commit(first, 1, 20);
    await first.close();
    // A follower learns the leader's high watermark only on its next fetch: made leader now, its own
    // lags behind records the old leader had already acknowledged.
    const log = logs.partition(OFFSETS_TOPIC, 0)!;
    expect(log.logEndOffset).toBe(3);
    log.setHighWatermark(1);
    const second = await GroupCoordinator.load(offsetLog, { scheduler: new ManualScheduler() });
    defer(() => second.close());
    expect(second.fetchOffsets('grp', null).topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([
      [0, 11n],
      [1, 20n],
    ]);
  });

  it('gives the topic offsets.topic.segment.bytes; the storage cleaner, not the open, compacts rolled segments while running', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    const first = await open(dir, { segmentBytes: 4096 });
    expect(first.logs.effectiveConfig(OFFSETS_TOPIC)['segment.bytes']).toBe('4096');
    for (let i = 0; i < 1200; i++) await commit(first.gc, i % 3, i);
    const p = first.logs.partition(OFFSETS_TOPIC, 0)!;
    expect(p.segmentList.length).toBeGreaterThan(10);
    const before = p.size;
    // The retention timer's pass over every partition (what runs every log.retention.check.interval.ms).
    await first.logs.runRetention();
    expect(p.size).toBeLessThan(before / 4);
    await commit(first.gc, 1, 5000);
    const end = p.logEndOffset;
    await first.close();

    const second = await open(dir, { segmentBytes: 4096 });
    // Opening replays; it no longer rewrites the log.
    expect(second.logs.partition(OFFSETS_TOPIC, 0)!.logEndOffset).toBe(end);
    expect(second.gc.fetchOffsets('grp', null).topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset])).toEqual([[0, 1197n], [1, 5000n], [2, 1199n]]);
    expect(second.gc.loadStats.records).toBeLessThan(1200 / 4);
  });

  it('loads by streaming: many commits of few keys hold only the live keys, and the state is right after a restart', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    const first = await open(dir);
    const commits = 3000;
    for (let i = 0; i < commits; i++) await commit(first.gc, i % 4, i);
    // A second group whose offsets are later deleted: its keys must not linger either.
    await first.gc.commitOffsets({ groupId: 'gone', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    await first.gc.deleteGroups(['gone']);
    await first.close();

    const logs = await LogManager.open({ dataDir: dir });
    defer(() => logs.close());
    // Count the storage reads made before the first record reaches the coordinator.
    let reads = 0;
    let readsAtFirstRecord = -1;
    const storage = {
      hasTopic: (n: string) => logs.hasTopic(n),
      getTopic: (n: string) => logs.getTopic(n),
      createTopic: (n: string, o: { partitions: number; configs?: Record<string, string> }) => logs.createTopic(n, o),
      alterTopicConfigs: (n: string, c: { name: string; op: 'set'; value: string }[]) => logs.alterTopicConfigs(n, c),
      partition: (t: string, i: number) => {
        const real = logs.partition(t, i)!;
        return {
          get logStartOffset() { return real.logStartOffset; },
          get logEndOffset() { return real.logEndOffset; },
          append: (b: Buffer, o: { logAppendTime: boolean }) => real.append(b, o),
          read: (offset: number, max: number) => {
            reads++;
            return real.read(offset, max);
          },
        };
      },
    };
    const offsetLog = await PartitionOffsetLog.open(storage, { readChunkBytes: 16 * 1024 });
    const watched = {
      append: offsetLog.append.bind(offsetLog),
      close: offsetLog.close.bind(offsetLog),
      appendTransactional: offsetLog.appendTransactional.bind(offsetLog),
      replay: (onRecord: Parameters<typeof offsetLog.replay>[0]) =>
        offsetLog.replay((r) => {
          if (readsAtFirstRecord < 0) readsAtFirstRecord = reads;
          onRecord(r);
        }),
    };
    const gc = await GroupCoordinator.load(watched, { scheduler: new ManualScheduler() });
    defer(() => gc.close());

    expect(gc.fetchOffsets('grp', null).topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset])).toEqual([
      [0, 2996n],
      [1, 2997n],
      [2, 2998n],
      [3, 2999n],
    ]);
    expect(gc.groupIds).toEqual(['grp']);
    const stats = gc.loadStats;
    expect(stats.records).toBe(commits + 3);
    expect(stats.offsets).toBe(4);
    // Never more than the live keys plus the one group that existed for a while: not the history.
    expect(stats.peakKeys).toBeLessThanOrEqual(5);
    // Streamed: records reached the coordinator after the first bounded read, long before the last.
    expect(readsAtFirstRecord).toBe(1);
    expect(reads).toBeGreaterThan(10);
  });

  it('keeps up while running: each roll wakes the cleaner, segments merge, and a restart reads only the live keys plus the active segment', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    // Timers far away: only rolls can make the cleaner run here.
    const timers = { cleanerBackoffMs: 3_600_000, retentionCheckIntervalMs: 3_600_000 };
    const logs = await LogManager.open({ dataDir: dir, config: timers });
    const offsetLog = await PartitionOffsetLog.open(logs, { segmentBytes: 4096 });
    const gc = await GroupCoordinator.load(offsetLog, { scheduler: new ManualScheduler() });
    logs.startBackgroundTasks();
    const commits = 3000;
    const keys = 8;
    for (let i = 0; i < commits; i++) await commit(gc, i % keys, i);
    await logs.whenCleanerIdle();
    const p = logs.partition(OFFSETS_TOPIC, 0)!;
    // ~35 commits per 4 KiB segment: ~85 rolls, yet only the merged clean head and the newest segments remain.
    expect(p.segmentList.length).toBeLessThanOrEqual(3);
    const activeRecords = p.logEndOffset - p.segmentList.at(-1)!.baseOffset;
    await gc.close();
    await logs.close();

    const second = await open(dir, { segmentBytes: 4096 });
    expect(second.gc.fetchOffsets('grp', null).topics[0]!.partitions.map((x) => x.committedOffset)).toEqual(
      Array.from({ length: keys }, (_, k) => BigInt(commits - keys + k)),
    );
    // Bounded by the live keys plus the active segment, not by the 3000 commits of history.
    expect(second.gc.loadStats.records).toBeLessThanOrEqual(keys + activeRecords);
  });

  it('gives a topic made by an older kstream (1 GiB segments) the offsets segment size at open', async () => {
    const dir = await tempDir('kstream-offsets-topic-');
    const logs = await LogManager.open({ dataDir: dir });
    await logs.createTopic(OFFSETS_TOPIC, { partitions: 1, configs: { 'cleanup.policy': 'compact' } });
    await logs.close();
    const reopened = await open(dir);
    expect(reopened.logs.getTopic(OFFSETS_TOPIC)!.configs).toEqual({ 'cleanup.policy': 'compact', 'segment.bytes': String(100 * 1024 * 1024) });
  });
});
