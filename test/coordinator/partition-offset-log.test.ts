import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts';
import { OFFSETS_TOPIC, PartitionOffsetLog } from '../../src/coordinator/partition-offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { LogManager } from '../../src/storage/log-manager.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function open(dir: string) {
  const logs = await LogManager.open({ dataDir: dir });
  const offsetLog = await PartitionOffsetLog.open(logs);
  const gc = await GroupCoordinator.load(offsetLog, { scheduler: new ManualScheduler() });
  const close = async () => {
    await gc.close();
    await logs.close();
  };
  cleanups.push(close);
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
    const dir = await mkdtemp(join(tmpdir(), 'kstream-offsets-topic-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
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

  it('compacts at open when superseded records dominate, and stays correct across further reopens', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kstream-offsets-topic-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const first = await open(dir);
    for (let i = 0; i < 1200; i++) await commit(first.gc, i % 3, i);
    await first.close();

    const second = await open(dir);
    const p = second.logs.partition(OFFSETS_TOPIC, 0)!;
    expect(p.logStartOffset).toBe(1200);
    expect(p.logEndOffset).toBe(1203);
    const expected = [[0, 1197n], [1, 1198n], [2, 1199n]];
    expect(second.gc.fetchOffsets('grp', null).topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset])).toEqual(expected);
    await commit(second.gc, 1, 5000);
    await second.close();

    const third = await open(dir);
    expect(third.gc.fetchOffsets('grp', null).topics[0]!.partitions.map((x) => [x.partitionIndex, x.committedOffset])).toEqual([[0, 1197n], [1, 5000n], [2, 1199n]]);
  });
});
