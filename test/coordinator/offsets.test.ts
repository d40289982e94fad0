import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { GroupState } from '../../src/coordinator/group.ts';
import { GroupCoordinator, type CommitPartition } from '../../src/coordinator/group-coordinator.ts';
import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { PartitionOffsetLog } from '../../src/coordinator/partition-offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { flush, useCleanupStack } from '../helpers/index.ts';
import { makeCoordinator, subscription, track } from './helpers.ts';

const DAY = 24 * 60 * 60 * 1000;
const open: GroupCoordinator[] = [];
const logManagers: LogManager[] = [];
// Registered before the hook below, so it runs after it (vitest runs after-hooks as a stack): the dirs
// go once the coordinators and logs on them are closed.
const { tempDir } = useCleanupStack();
afterEach(async () => {
  for (const gc of open.splice(0)) await gc.close();
  for (const logs of logManagers.splice(0)) await logs.close();
});

async function setup(config: Parameters<typeof makeCoordinator>[0] = {}, log = new MemoryOffsetLog()) {
  const h = await makeCoordinator(config, log);
  open.push(h.gc);
  return h;
}

const part = (partitionIndex: number, offset: number, metadata: string | null = null): CommitPartition => ({
  partitionIndex,
  committedOffset: BigInt(offset),
  committedLeaderEpoch: -1,
  committedMetadata: metadata,
});

function standalone(gc: GroupCoordinator, groupId: string, topic: string, parts: CommitPartition[]) {
  return gc.commitOffsets({ groupId, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: topic, partitions: parts }] });
}

/** One consumer 'a' subscribed to `topics`, Stable in generation 1. */
async function oneMember(h: Awaited<ReturnType<typeof setup>>, topics = ['t'], sessionTimeoutMs = 10_000) {
  const a = track(h.join({ sessionTimeoutMs, protocols: [{ name: 'range', metadata: subscription(topics) }] }));
  await h.advance(0);
  await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
  return a.value.memberId;
}

describe('OffsetCommit / OffsetFetch', () => {
  it('accepts a standalone commit (generation -1, no member) and fetches it back; unknown partitions give -1', async () => {
    const h = await setup();
    const r = await standalone(h.gc, 'grp', 'orders', [part(0, 42, 'meta'), part(3, 7)]);
    expect(r).toEqual([{ name: 'orders', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 3, errorCode: 0 }] }]);
    const f = h.gc.fetchOffsets('grp', [{ name: 'orders', partitionIndexes: [0, 1, 3] }, { name: 'other', partitionIndexes: [0] }]);
    expect(f.errorCode).toBe(0);
    expect(f.topics).toEqual([
      {
        name: 'orders',
        partitions: [
          { partitionIndex: 0, committedOffset: 42n, committedLeaderEpoch: -1, metadata: 'meta', errorCode: 0 },
          { partitionIndex: 1, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
          { partitionIndex: 3, committedOffset: 7n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
        ],
      },
      { name: 'other', partitions: [{ partitionIndex: 0, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 }] },
    ]);
    // topics null = everything the group committed.
    expect(h.gc.fetchOffsets('grp', null).topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['orders', [42n, 7n]]]);
    expect(h.gc.fetchOffsets('nobody', null).topics).toEqual([]);
    expect(h.gc.fetchOffsets('nobody', [{ name: 'x', partitionIndexes: [2] }]).topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
  });

  it('validates group members: 25 unknown member, 22 wrong generation, 27 while completing a rebalance, 25 standalone into a live group', async () => {
    const h = await setup();
    const a = track(h.join({}));
    await h.advance(0);
    const commit = (memberId: string, generationId: number, groupId = 'g') =>
      h.gc.commitOffsets({ groupId, generationId, memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [part(0, 1)] }] });
    const code = async (p: ReturnType<typeof commit>) => (await p)[0]!.partitions[0]!.errorCode;
    expect(await code(commit(a.value.memberId, 1))).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
    expect(await code(commit(a.value.memberId, 1))).toBe(0);
    expect(await code(commit('someone-else', 1))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(commit(a.value.memberId, 7))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await code(commit('', -1))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(await code(commit('x', 3, 'no-such-group'))).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(h.gc.fetchOffsets('g', null).topics[0]!.partitions[0]!.committedOffset).toBe(1n);
  });

  it('still accepts commits from current members while a rebalance is being prepared', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a' }));
    const b = track(h.join({ clientId: 'b' }));
    await h.advance(0);
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
    void h.join({ memberId: a.value.memberId }); // leader rejoins → PreparingRebalance
    await flush();
    expect(h.gc.group('g')!.state).toBe(GroupState.PreparingRebalance);
    const r = await h.gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: b.value.memberId, groupInstanceId: null, topics: [{ name: 't', partitions: [part(0, 9)] }] });
    expect(r[0]!.partitions[0]!.errorCode).toBe(0);
  });

  it('refuses metadata above offset.metadata.max.bytes (12) per partition', async () => {
    const h = await setup({ offsetMetadataMaxBytes: 10 });
    const r = await standalone(h.gc, 'grp', 't', [part(0, 1, 'short'), part(1, 1, 'much too long metadata')]);
    expect(r[0]!.partitions.map((p) => p.errorCode)).toEqual([0, ErrorCode.OFFSET_METADATA_TOO_LARGE]);
  });

  it('answers only once the log append is durable, and reports a failed append as retriable (15) without caching it', async () => {
    const log = new MemoryOffsetLog();
    const h = await setup({}, log);
    const ok = await standalone(h.gc, 'grp', 't', [part(0, 5)]);
    expect(ok[0]!.partitions[0]!.errorCode).toBe(0);
    expect(log.records).toHaveLength(1);
    log.failNext = new Error('disk full');
    const failed = await standalone(h.gc, 'grp', 't', [part(0, 6)]);
    expect(failed[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
    expect(h.gc.fetchOffsets('grp', null).topics[0]!.partitions[0]!.committedOffset).toBe(5n);
  });
});

describe('OffsetDelete', () => {
  it('deletes offsets of an empty group, refuses topics an active group subscribes to (86), and 69 for unknown groups', async () => {
    const h = await setup();
    await standalone(h.gc, 'idle', 't', [part(0, 1), part(1, 2)]);
    const r = await h.gc.deleteOffsets('idle', [{ name: 't', partitionIndexes: [0] }]);
    expect(r).toEqual({ errorCode: 0, topics: [{ name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }] }] });
    expect(h.gc.fetchOffsets('idle', null).topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([1]);

    const member = await oneMember(h, ['t']);
    await h.gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: member, groupInstanceId: null, topics: [{ name: 't', partitions: [part(0, 3)] }, { name: 'old', partitions: [part(0, 4)] }] });
    const live = await h.gc.deleteOffsets('g', [{ name: 't', partitionIndexes: [0] }, { name: 'old', partitionIndexes: [0] }]);
    expect(live.errorCode).toBe(0);
    expect(live.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0]);
    expect(h.gc.fetchOffsets('g', null).topics.map((t) => t.name)).toEqual(['t']);

    expect((await h.gc.deleteOffsets('missing', [{ name: 't', partitionIndexes: [0] }])).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });
});

describe('offsets retention', () => {
  it('expires a standalone group\'s offsets 7 days after the commit, then removes the group', async () => {
    const h = await setup();
    await standalone(h.gc, 'grp', 't', [part(0, 1)]);
    h.scheduler.advance(7 * DAY - 1);
    expect(await h.gc.expireOffsets()).toBe(0);
    expect(h.gc.fetchOffsets('grp', null).topics).toHaveLength(1);
    h.scheduler.advance(1);
    expect(await h.gc.expireOffsets()).toBe(1);
    expect(h.gc.fetchOffsets('grp', null).topics).toEqual([]);
    expect(h.gc.groupIds).not.toContain('grp');
  });

  it('keeps a consumer group\'s offsets while it has members and expires them 7 days after it became empty', async () => {
    const h = await setup();
    const member = await oneMember(h, ['t'], 1_800_000);
    await h.gc.commitOffsets({ groupId: 'g', generationId: 1, memberId: member, groupInstanceId: null, topics: [{ name: 't', partitions: [part(0, 10)] }] });
    // Ten days of heartbeats: the commit is old, but the group is alive and subscribed.
    for (let i = 0; i < 10 * 24 * 3; i++) {
      h.scheduler.advance(20 * 60_000);
      expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: member, groupInstanceId: null })).toBe(0);
    }
    await flush();
    expect(h.gc.fetchOffsets('g', null).topics[0]!.partitions[0]!.committedOffset).toBe(10n);
    h.gc.leaveGroup('g', [{ memberId: member, groupInstanceId: null }]);
    expect(h.gc.group('g')!.state).toBe(GroupState.Empty);
    h.scheduler.advance(7 * DAY - 1);
    await h.gc.expireOffsets();
    expect(h.gc.fetchOffsets('g', null).topics).toHaveLength(1);
    h.scheduler.advance(1);
    await h.gc.expireOffsets();
    expect(h.gc.fetchOffsets('g', null).topics).toEqual([]);
  });

  it('honours an explicit retention time from OffsetCommit v2–v4', async () => {
    const h = await setup();
    await h.gc.commitOffsets({ groupId: 'grp', generationId: -1, memberId: '', groupInstanceId: null, retentionTimeMs: 60_000, topics: [{ name: 't', partitions: [part(0, 1)] }] });
    h.scheduler.advance(59_999);
    await h.gc.expireOffsets();
    expect(h.gc.fetchOffsets('grp', null).topics).toHaveLength(1);
    h.scheduler.advance(1);
    await h.gc.expireOffsets();
    expect(h.gc.fetchOffsets('grp', null).topics).toEqual([]);
  });

  it('runs by itself on the retention check interval', async () => {
    const h = await setup({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
    await standalone(h.gc, 'grp', 't', [part(0, 1)]);
    await h.advance(50_000);
    expect(h.gc.fetchOffsets('grp', null).topics).toHaveLength(1);
    await h.advance(20_000);
    expect(h.gc.fetchOffsets('grp', null).topics).toEqual([]);
  });
});

describe('persistence in the offset log', () => {
  /** The broker's path: __consumer_offsets in a real LogManager on disk. */
  async function fileCoordinator(dir: string, scheduler = new ManualScheduler()) {
    const logs = await LogManager.open({ dataDir: dir });
    logManagers.push(logs);
    const gc = await GroupCoordinator.load(await PartitionOffsetLog.open(logs), { scheduler, config: { initialRebalanceDelayMs: 0 } });
    open.push(gc);
    return { gc, scheduler, logs };
  }

  it('committed offsets, deletions and group metadata survive a reopen from the on-disk log', async () => {
    const dir = await tempDir('kstream-offsets-');
    const first = await fileCoordinator(dir);
    await standalone(first.gc, 'grp', 'orders', [part(0, 100, 'm0'), part(1, 200)]);
    await standalone(first.gc, 'grp', 'orders', [part(0, 150, 'm1')]);
    await standalone(first.gc, 'gone', 'x', [part(0, 1)]);
    expect((await first.gc.deleteGroups(['gone']))[0]!.errorCode).toBe(0);
    // A live consumer group: its generation, members and assignment are stored on SyncGroup.
    const j = track(first.gc.joinGroup({
      groupId: 'live', memberId: '', groupInstanceId: null, requireKnownMemberId: false, supportsSkipAssignment: false,
      clientId: 'c', clientHost: '/h', sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: subscription(['orders']) }],
    }));
    first.scheduler.advance(0);
    await flush();
    await first.gc.syncGroup({ groupId: 'live', generationId: 1, memberId: j.value.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: j.value.memberId, assignment: Buffer.from('asg') }] });
    await first.gc.close();
    await first.logs.close();
    open.length = 0;
    logManagers.length = 0;

    const second = await fileCoordinator(dir);
    const f = second.gc.fetchOffsets('grp', null);
    expect(f.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([
      [0, 150n, 'm1'],
      [1, 200n, ''],
    ]);
    expect(second.gc.groupIds.sort()).toEqual(['grp', 'live']);
    const live = second.gc.group('live')!;
    expect(live.state).toBe(GroupState.Stable);
    expect(live.generationId).toBe(1);
    expect(second.gc.heartbeat({ groupId: 'live', generationId: 1, memberId: j.value.memberId, groupInstanceId: null })).toBe(0);
    expect((await second.gc.syncGroup({ groupId: 'live', generationId: 1, memberId: j.value.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] })).assignment.toString()).toBe('asg');
    // A restored member that never comes back is expired after its session timeout.
    second.scheduler.advance(10_001);
    expect(live.state).toBe(GroupState.Empty);
    expect(live.generationId).toBe(2);
  });
});

describe('onTopicsDeleted (a topic was deleted)', () => {
  it('writes a tombstone for each of its offsets in every group and removes groups left with nothing', async () => {
    const log = new MemoryOffsetLog();
    const h = await setup({}, log);
    await standalone(h.gc, 'a', 'gone', [part(0, 1), part(1, 2)]);
    await standalone(h.gc, 'b', 'gone', [part(0, 3)]);
    await standalone(h.gc, 'b', 'stays', [part(0, 4)]);
    const before = log.records.length;
    await h.gc.onTopicsDeleted(['gone']);
    const written = log.records.slice(before);
    expect(written.filter((r) => r.value === null)).toHaveLength(3);
    expect(h.gc.groupIds).toEqual(['b']);
    expect(h.gc.fetchOffsets('b', null).topics.map((t) => t.name)).toEqual(['stays']);
  });

  it('never rejects: a failed write is logged, the deletion itself already happened', async () => {
    const log = new MemoryOffsetLog();
    const errors: string[] = [];
    const gc = await GroupCoordinator.load(log, { scheduler: new ManualScheduler(), logger: { info() {}, warn() {}, error: (m) => errors.push(m) } });
    open.push(gc);
    await standalone(gc, 'a', 'gone', [part(0, 1)]);
    log.failNext = new Error('disk full');
    await gc.onTopicsDeleted(['gone']);
    expect(errors).toEqual([expect.stringContaining('disk full')]);
  });
});
