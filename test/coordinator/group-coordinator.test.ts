import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { GroupState } from '../../src/coordinator/group.ts';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts';
import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { flush } from '../helpers/index.ts';
import { makeCoordinator, subscription, track } from './helpers.ts';

const open: GroupCoordinator[] = [];
async function setup(config: Parameters<typeof makeCoordinator>[0] = {}) {
  const h = await makeCoordinator(config);
  open.push(h.gc);
  return h;
}
afterEach(async () => {
  for (const gc of open.splice(0)) await gc.close();
});

/** Two members through a full join + sync round; returns their ids, generation and leader. */
async function stableTwo(h: Awaited<ReturnType<typeof setup>>) {
  const a = track(h.join({ clientId: 'a' }));
  const b = track(h.join({ clientId: 'b' }));
  await h.advance(0);
  expect(a.done && b.done).toBe(true);
  const gen = a.value.generationId;
  const leaderIsA = a.value.leader === a.value.memberId;
  const leader = leaderIsA ? a.value : b.value;
  const follower = leaderIsA ? b.value : a.value;
  const ls = track(h.sync({ memberId: leader.memberId, generationId: gen, assignments: [
    { memberId: leader.memberId, assignment: Buffer.from('L') },
    { memberId: follower.memberId, assignment: Buffer.from('F') },
  ] }));
  const fs = track(h.sync({ memberId: follower.memberId, generationId: gen }));
  await flush();
  expect(ls.value.errorCode).toBe(0);
  expect(fs.value.errorCode).toBe(0);
  return { leader: leader.memberId, follower: follower.memberId, gen };
}

describe('JoinGroup / SyncGroup round', () => {
  it('admits two members into one generation; only the leader sees the member list; each gets its own assignment', async () => {
    const h = await setup({ initialRebalanceDelayMs: 3000 });
    const a = track(h.join({ clientId: 'a', protocols: [{ name: 'range', metadata: Buffer.from('ma') }] }));
    await h.advance(1000);
    const b = track(h.join({ clientId: 'b', protocols: [{ name: 'range', metadata: Buffer.from('mb') }] }));
    await h.advance(1000);
    expect(a.done || b.done).toBe(false);
    expect(h.gc.group('g')!.state).toBe(GroupState.PreparingRebalance);
    // b arrived during the initial delay, which extends it by another delay (rebalance timeout 30 s allows it).
    await h.advance(1000);
    expect(a.done).toBe(false);
    await h.advance(3000);
    expect(a.done && b.done).toBe(true);
    expect(a.value.errorCode).toBe(0);
    expect(a.value.generationId).toBe(1);
    expect(b.value.generationId).toBe(1);
    expect(a.value.memberId).toMatch(/^a-[0-9a-f-]{36}$/);
    expect(b.value.memberId).toMatch(/^b-/);
    expect(a.value.leader).toBe(a.value.memberId);
    expect(b.value.leader).toBe(a.value.memberId);
    expect(a.value.protocolName).toBe('range');
    expect(a.value.members.map((m) => [m.memberId, m.metadata.toString()])).toEqual([
      [a.value.memberId, 'ma'],
      [b.value.memberId, 'mb'],
    ]);
    expect(b.value.members).toEqual([]);
    expect(h.gc.group('g')!.state).toBe(GroupState.CompletingRebalance);

    // The follower's SyncGroup waits for the leader's.
    const fs = track(h.sync({ memberId: b.value.memberId, generationId: 1 }));
    await flush();
    expect(fs.done).toBe(false);
    const ls = await h.sync({
      memberId: a.value.memberId,
      generationId: 1,
      protocolType: 'consumer',
      protocolName: 'range',
      assignments: [
        { memberId: a.value.memberId, assignment: Buffer.from('p0,p1') },
        { memberId: b.value.memberId, assignment: Buffer.from('p2,p3') },
      ],
    });
    await flush();
    expect(ls.assignment.toString()).toBe('p0,p1');
    expect(ls.protocolType).toBe('consumer');
    expect(ls.protocolName).toBe('range');
    expect(fs.done).toBe(true);
    expect(fs.value.errorCode).toBe(0);
    expect(fs.value.assignment.toString()).toBe('p2,p3');
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
  });

  it('a new group with delay 0 completes its first round as soon as the timer runs', async () => {
    const h = await setup();
    const a = track(h.join({}));
    await flush();
    expect(a.done).toBe(false);
    await h.advance(0);
    expect(a.value.errorCode).toBe(0);
    expect(a.value.generationId).toBe(1);
    expect(a.value.leader).toBe(a.value.memberId);
  });

  it('KIP-394: v4+ join without member id gets MEMBER_ID_REQUIRED with an id, then joins with it', async () => {
    const h = await setup();
    const first = await h.join({ clientId: 'rdkafka', requireKnownMemberId: true });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^rdkafka-[0-9a-f-]{36}$/);
    expect(h.gc.group('g')!.members.size).toBe(0);
    const second = track(h.join({ clientId: 'rdkafka', requireKnownMemberId: true, memberId: first.memberId }));
    await h.advance(0);
    expect(second.value.errorCode).toBe(0);
    expect(second.value.memberId).toBe(first.memberId);
    expect(second.value.generationId).toBe(1);
  });

  it('a rebalance waits for a member that got MEMBER_ID_REQUIRED to come back with its id', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a' }));
    await h.advance(0);
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
    const b1 = await h.join({ clientId: 'b', requireKnownMemberId: true });
    expect(b1.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const again = track(h.join({ clientId: 'a', memberId: a.value.memberId })); // leader rejoin → new round
    await h.advance(5000);
    expect(again.done).toBe(false); // a pending member is still expected
    const b2 = track(h.join({ clientId: 'b', requireKnownMemberId: true, memberId: b1.memberId }));
    await flush();
    expect(again.done && b2.done).toBe(true);
    expect(again.value.generationId).toBe(2);
    expect(again.value.members.map((m) => m.memberId).sort()).toEqual([a.value.memberId, b1.memberId].sort());
  });

  it('below v4 an empty member id is admitted directly', async () => {
    const h = await setup();
    const r = track(h.join({ requireKnownMemberId: false }));
    await h.advance(0);
    expect(r.value.errorCode).toBe(0);
    expect(r.value.memberId).toMatch(/^client-/);
  });

  it('a pending member id that is not used within the session timeout expires', async () => {
    const h = await setup();
    const first = await h.join({ requireKnownMemberId: true, sessionTimeoutMs: 10_000 });
    await h.advance(10_001);
    const late = await h.join({ requireKnownMemberId: true, memberId: first.memberId });
    expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('rejects a protocol type or protocol set that does not fit the group (23) and bad session timeouts (26)', async () => {
    const h = await setup();
    const a = track(h.join({ protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }));
    await h.advance(0);
    expect(a.value.errorCode).toBe(0);
    expect((await h.join({ protocolType: 'connect' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ protocols: [{ name: 'roundrobin', metadata: Buffer.alloc(0) }] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ groupId: 'other', protocols: [] })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.join({ groupId: 'x', sessionTimeoutMs: 10 })).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    expect((await h.join({ groupId: '' })).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
    expect((await h.join({ groupId: 'nope', memberId: 'ghost' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('chooses the protocol every member supports with the most first-choice votes', async () => {
    const h = await setup({ initialRebalanceDelayMs: 100 });
    const p = (...names: string[]) => names.map((name) => ({ name, metadata: Buffer.from(name) }));
    const a = track(h.join({ clientId: 'a', protocols: p('range', 'roundrobin', 'sticky') }));
    const b = track(h.join({ clientId: 'b', protocols: p('sticky', 'roundrobin', 'range') }));
    const c = track(h.join({ clientId: 'c', protocols: p('roundrobin', 'sticky') }));
    await h.advance(100);
    await h.advance(100);
    expect(a.done && b.done && c.done).toBe(true);
    // Candidates: roundrobin, sticky. Votes: a→roundrobin, b→sticky, c→roundrobin.
    expect(a.value.protocolName).toBe('roundrobin');
    expect(a.value.members.find((m) => m.memberId === b.value.memberId)!.metadata.toString()).toBe('roundrobin');
  });

  it('a follower whose SyncGroup arrives after the round completed gets its assignment at once', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a' }));
    const b = track(h.join({ clientId: 'b' }));
    await h.advance(0);
    const ls = await h.sync({
      memberId: a.value.memberId,
      generationId: 1,
      assignments: [
        { memberId: a.value.memberId, assignment: Buffer.from('A') },
        { memberId: b.value.memberId, assignment: Buffer.from('B') },
      ],
    });
    expect(ls.assignment.toString()).toBe('A');
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
    await h.advance(5000);
    const fs = await h.sync({ memberId: b.value.memberId, generationId: 1 });
    expect(fs.errorCode).toBe(0);
    expect(fs.assignment.toString()).toBe('B');
  });

  it('SyncGroup errors: unknown member 25, wrong generation 22, protocol mismatch 23, during rebalance 27', async () => {
    const h = await setup();
    const { leader, follower, gen } = await stableTwo(h);
    expect((await h.sync({ memberId: 'nobody', generationId: gen })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect((await h.sync({ memberId: follower, generationId: gen + 1 })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect((await h.sync({ memberId: follower, generationId: gen, protocolName: 'roundrobin' })).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await h.sync({ groupId: 'none', memberId: follower, generationId: gen })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    // The leader rejoining starts a rebalance.
    const lj = track(h.join({ memberId: leader }));
    await flush();
    expect(lj.done).toBe(false);
    expect((await h.sync({ memberId: follower, generationId: gen })).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('a follower waiting in SyncGroup gets REBALANCE_IN_PROGRESS when the group starts over', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a' }));
    const b = track(h.join({ clientId: 'b' }));
    await h.advance(0);
    const fs = track(h.sync({ memberId: b.value.memberId, generationId: 1 }));
    await flush();
    h.gc.leaveGroup('g', [{ memberId: a.value.memberId, groupInstanceId: null }]);
    await flush();
    expect(fs.value.errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });

  it('members that never send SyncGroup are removed after the rebalance timeout', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a', rebalanceTimeoutMs: 20_000 }));
    const b = track(h.join({ clientId: 'b', rebalanceTimeoutMs: 20_000 }));
    await h.advance(0);
    // Only the leader syncs; the round cannot finish for b, but the leader's own answer comes.
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [{ memberId: a.value.memberId, assignment: Buffer.from('x') }] });
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
    for (let t = 0; t < 20_000; t += 3000) {
      await h.advance(3000);
      h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.value.memberId, groupInstanceId: null });
    }
    expect(h.gc.group('g')!.members.has(b.value.memberId)).toBe(false);
    expect(h.gc.group('g')!.state).toBe(GroupState.PreparingRebalance);
  });
});

describe('shutdown', () => {
  it('close() answers parked JoinGroup/SyncGroup with NOT_COORDINATOR and cancels every timer', async () => {
    const h = await makeCoordinator({ initialRebalanceDelayMs: 3000 });
    const a = track(h.join({ clientId: 'a' }));
    const b = track(h.join({ clientId: 'b' }));
    await h.advance(6000);
    const follower = a.value.leader === a.value.memberId ? b.value : a.value;
    const parkedSync = track(h.sync({ memberId: follower.memberId, generationId: 1 }));
    const parkedJoin = track(h.join({ groupId: 'other' }));
    await flush();
    expect(parkedSync.done || parkedJoin.done).toBe(false);
    await h.gc.close();
    await flush();
    expect(parkedSync.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(parkedJoin.value.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.scheduler.pending).toBe(0);
    expect((await h.join({ groupId: 'third' })).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: null })).toBe(ErrorCode.NOT_COORDINATOR);
  });
});

describe('Heartbeat', () => {
  it('answers 25 for unknown group or member, 22 for a stale generation, 27 during a rebalance, 0 when stable', async () => {
    const h = await setup();
    const { leader, follower, gen } = await stableTwo(h);
    const hb = (memberId: string, generationId = gen, groupId = 'g') => h.gc.heartbeat({ groupId, generationId, memberId, groupInstanceId: null });
    expect(hb(follower)).toBe(0);
    expect(hb(follower, gen, 'nogroup')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb('stranger')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(hb(follower, gen - 1)).toBe(ErrorCode.ILLEGAL_GENERATION);
    void h.join({ memberId: leader });
    await flush();
    expect(hb(follower)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  });
});

describe('member liveness and rebalances', () => {
  it('a member that stops heartbeating is removed after its session timeout; the survivor gets everything in a new generation', async () => {
    const h = await setup();
    const { leader, follower, gen } = await stableTwo(h);
    const hb = (memberId: string, generationId: number) => h.gc.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId: null });
    // Only the follower keeps heartbeating; the leader has died.
    for (let t = 0; t < 9000; t += 3000) {
      await h.advance(3000);
      expect(hb(follower, gen)).toBe(0);
    }
    await h.advance(1001); // 10 001 ms since the leader's last sign of life
    expect(h.gc.group('g')!.members.has(leader)).toBe(false);
    expect(hb(follower, gen)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const j = await h.join({ memberId: follower });
    expect(j.errorCode).toBe(0);
    expect(j.generationId).toBe(gen + 1);
    expect(j.leader).toBe(follower);
    expect(j.members.map((m) => m.memberId)).toEqual([follower]);
    const s = await h.sync({ memberId: follower, generationId: gen + 1, assignments: [{ memberId: follower, assignment: Buffer.from('all') }] });
    expect(s.assignment.toString()).toBe('all');
    expect(hb(follower, gen + 1)).toBe(0);
  });

  it('expires a silent member exactly at its session timeout, not a millisecond before', async () => {
    const h = await setup();
    const a = track(h.join({ sessionTimeoutMs: 10_000 }));
    await h.advance(0);
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
    await h.advance(4000);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: a.value.memberId, groupInstanceId: null })).toBe(0);
    await h.advance(9999);
    expect(h.gc.group('g')!.members.has(a.value.memberId)).toBe(true);
    await h.advance(1);
    expect(h.gc.group('g')!.members.size).toBe(0);
    expect(h.gc.group('g')!.state).toBe(GroupState.Empty);
  });

  it('when the leader leaves, the remaining member becomes leader of the next generation', async () => {
    const h = await setup();
    const { leader, follower, gen } = await stableTwo(h);
    const left = h.gc.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }]);
    expect(left.members[0]!.errorCode).toBe(0);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: gen, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const j = await h.join({ memberId: follower });
    expect(j.generationId).toBe(gen + 1);
    expect(j.leader).toBe(follower);
  });

  it('members that do not rejoin within the rebalance timeout are dropped from the new generation', async () => {
    const h = await setup();
    const { leader, follower, gen } = await stableTwo(h);
    // The leader rejoins (forces a rebalance); the follower keeps heartbeating but never rejoins.
    const lj = track(h.join({ memberId: leader, rebalanceTimeoutMs: 30_000 }));
    for (let t = 0; t < 27_000; t += 3000) {
      await h.advance(3000);
      expect(h.gc.heartbeat({ groupId: 'g', generationId: gen, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    }
    await h.advance(2999);
    expect(lj.done).toBe(false);
    await h.advance(1);
    expect(lj.value.errorCode).toBe(0);
    expect(lj.value.generationId).toBe(gen + 1);
    expect(lj.value.members.map((m) => m.memberId)).toEqual([leader]);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: gen + 1, memberId: follower, groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it('a follower rejoining a Stable group with unchanged metadata gets the current generation without a rebalance', async () => {
    const h = await setup();
    const { follower, gen } = await stableTwo(h);
    const j = await h.join({ memberId: follower });
    expect(j.generationId).toBe(gen);
    expect(j.members).toEqual([]);
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
  });

  it('the last member leaving empties the group and bumps the generation', async () => {
    const h = await setup();
    const a = track(h.join({}));
    await h.advance(0);
    await h.sync({ memberId: a.value.memberId, generationId: 1, assignments: [] });
    h.gc.leaveGroup('g', [{ memberId: a.value.memberId, groupInstanceId: null }]);
    const g = h.gc.group('g')!;
    expect(g.state).toBe(GroupState.Empty);
    expect(g.generationId).toBe(2);
  });

  it('LeaveGroup v3+ batch: by member id, by instance id, unknown (25), fenced instance (82); unknown group → 25 each', async () => {
    const h = await setup();
    track(h.join({ clientId: 'a', groupInstanceId: 'inst-a' }));
    const b = track(h.join({ clientId: 'b' }));
    const c = track(h.join({ clientId: 'c', groupInstanceId: 'inst-c' }));
    await h.advance(0);
    const r = h.gc.leaveGroup('g', [
      { memberId: '', groupInstanceId: 'inst-a' },
      { memberId: b.value.memberId, groupInstanceId: null },
      { memberId: 'ghost', groupInstanceId: null },
      { memberId: 'wrong-id', groupInstanceId: 'inst-c' },
      { memberId: '', groupInstanceId: 'inst-zzz' },
    ]);
    expect(r.errorCode).toBe(0);
    expect(r.members.map((m) => m.errorCode)).toEqual([0, 0, ErrorCode.UNKNOWN_MEMBER_ID, ErrorCode.FENCED_INSTANCE_ID, ErrorCode.UNKNOWN_MEMBER_ID]);
    expect([...h.gc.group('g')!.members.keys()]).toEqual([c.value.memberId]);
    const none = h.gc.leaveGroup('nogroup', [{ memberId: 'x', groupInstanceId: null }]);
    expect(none.members[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe('static membership', () => {
  it('a static member rejoining with a new member id replaces the old one without a rebalance; the old id is fenced', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a', groupInstanceId: 'host-1', requireKnownMemberId: true }));
    const b = track(h.join({ clientId: 'b', groupInstanceId: 'host-2', requireKnownMemberId: true }));
    await h.advance(0);
    // Static members skip the MEMBER_ID_REQUIRED round trip.
    expect(a.value.errorCode).toBe(0);
    const leaderIsA = a.value.leader === a.value.memberId;
    const follower = leaderIsA ? b.value : a.value;
    const leader = leaderIsA ? a.value : b.value;
    const followerInstance = leaderIsA ? 'host-2' : 'host-1';
    await h.sync({
      memberId: leader.memberId,
      generationId: 1,
      groupInstanceId: leaderIsA ? 'host-1' : 'host-2',
      assignments: [
        { memberId: leader.memberId, assignment: Buffer.from('L') },
        { memberId: follower.memberId, assignment: Buffer.from('F') },
      ],
    });
    await h.sync({ memberId: follower.memberId, generationId: 1, groupInstanceId: followerInstance });

    // The follower's process restarts: it joins with an empty member id and the same instance id.
    const again = await h.join({ clientId: 'b2', groupInstanceId: followerInstance, requireKnownMemberId: true });
    expect(again.errorCode).toBe(0);
    expect(again.memberId).not.toBe(follower.memberId);
    expect(again.generationId).toBe(1);
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
    const s = await h.sync({ memberId: again.memberId, generationId: 1, groupInstanceId: followerInstance });
    expect(s.assignment.toString()).toBe('F');
    // The zombie with the old member id is fenced.
    expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: follower.memberId, groupInstanceId: followerInstance })).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(h.gc.heartbeat({ groupId: 'g', generationId: 1, memberId: leader.memberId, groupInstanceId: null })).toBe(0);
  });

  it('a static leader rejoining keeps leadership: v9 gets SkipAssignment with the members, older versions see the old leader id', async () => {
    const h = await setup();
    const a = track(h.join({ clientId: 'a', groupInstanceId: 'i-a' }));
    await h.advance(0);
    await h.sync({ memberId: a.value.memberId, generationId: 1, groupInstanceId: 'i-a', assignments: [{ memberId: a.value.memberId, assignment: Buffer.from('A') }] });
    const v9 = await h.join({ clientId: 'a', groupInstanceId: 'i-a', supportsSkipAssignment: true });
    expect(v9.leader).toBe(v9.memberId);
    expect(v9.skipAssignment).toBe(true);
    expect(v9.members.map((m) => m.memberId)).toEqual([v9.memberId]);
    const v5 = await h.join({ clientId: 'a', groupInstanceId: 'i-a', supportsSkipAssignment: false });
    expect(v5.skipAssignment).toBe(false);
    expect(v5.leader).toBe(v9.memberId);
    expect(v5.leader).not.toBe(v5.memberId);
    expect(v5.members).toEqual([]);
    expect(h.gc.group('g')!.state).toBe(GroupState.Stable);
    expect(h.gc.group('g')!.generationId).toBe(1);
  });
});

describe('DescribeGroups / ListGroups / DeleteGroups', () => {
  it('describes a stable group with members, metadata, assignments and protocol; unknown groups are Dead', async () => {
    const h = await setup();
    const { leader, follower } = await stableTwo(h);
    const [d, missing] = h.gc.describeGroups(['g', 'missing']);
    expect(d!.groupState).toBe('Stable');
    expect(d!.protocolType).toBe('consumer');
    expect(d!.protocolData).toBe('range');
    const byId = new Map(d!.members.map((m) => [m.memberId, m]));
    expect(byId.get(leader)!.memberAssignment.toString()).toBe('L');
    expect(byId.get(follower)!.memberAssignment.toString()).toBe('F');
    expect(byId.get(leader)!.clientHost).toBe('/127.0.0.1');
    expect(byId.get(leader)!.memberMetadata.equals(subscription(['t']))).toBe(true);
    expect(missing).toMatchObject({ errorCode: 0, groupState: 'Dead', members: [] });
  });

  it('lists groups with an optional case-insensitive state filter', async () => {
    const h = await setup();
    await stableTwo(h);
    await h.gc.commitOffsets({ groupId: 'standalone', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(h.gc.listGroups().map((g) => [g.groupId, g.groupState, g.protocolType]).sort()).toEqual([
      ['g', 'Stable', 'consumer'],
      ['standalone', 'Empty', ''],
    ]);
    expect(h.gc.listGroups(['stable']).map((g) => g.groupId)).toEqual(['g']);
    expect(h.gc.listGroups(['Empty']).map((g) => g.groupId)).toEqual(['standalone']);
    expect(h.gc.listGroups([], ['consumer'])).toEqual([]);
  });

  it('deletes only empty groups: 68 for a live group, 69 for an unknown one; offsets go with the group', async () => {
    const h = await setup();
    await stableTwo(h);
    await h.gc.commitOffsets({ groupId: 'old', generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const r = await h.gc.deleteGroups(['g', 'old', 'never']);
    expect(r).toEqual([
      { groupId: 'g', errorCode: ErrorCode.NON_EMPTY_GROUP },
      { groupId: 'old', errorCode: 0 },
      { groupId: 'never', errorCode: ErrorCode.GROUP_ID_NOT_FOUND },
    ]);
    expect(h.gc.fetchOffsets('old', [{ name: 't', partitionIndexes: [0] }]).topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
    expect(h.gc.listGroups().map((g) => g.groupId)).toEqual(['g']);
  });
});

describe('info logging (Kafka GroupCoordinator style, through the injected logger)', () => {
  it('logs the member-id handshake, joins, the rebalance with its reason and duration, the completed generation and expirations', async () => {
    const lines: string[] = [];
    const logger = { info: (m: string) => lines.push(m), warn: (m: string) => lines.push(`WARN ${m}`), error: (m: string) => lines.push(`ERROR ${m}`) };
    const scheduler = new ManualScheduler();
    const gc = await GroupCoordinator.load(new MemoryOffsetLog(), { scheduler, logger, config: { initialRebalanceDelayMs: 3000 } });
    open.push(gc);
    const params = {
      groupId: 'g', groupInstanceId: null, requireKnownMemberId: true, supportsSkipAssignment: false, clientId: 'c', clientHost: '/h',
      sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription(['t']) }],
    };
    const first = await gc.joinGroup({ ...params, memberId: '' });
    expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const joined = track(gc.joinGroup({ ...params, memberId: first.memberId }));
    scheduler.advance(3000);
    await flush();
    expect(joined.value.errorCode).toBe(0);
    const sync = await gc.syncGroup({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
    expect(sync.errorCode).toBe(0);
    scheduler.advance(10_001); // no heartbeat: the member expires
    await flush();
    const text = lines.join('\n');
    expect(text).toContain(`Dynamic member with unknown member id joins group g in Empty state. Created a new member id ${first.memberId}`);
    expect(text).toContain(`Member ${first.memberId} (client c, /h) joins group g`);
    expect(text).toContain(`Preparing to rebalance group g in state Empty with old generation 0 (reason: Adding new member ${first.memberId}`);
    expect(text).toContain(`Stabilized group g generation 1 with 1 members (protocol range, leader ${first.memberId}) after 3000 ms`);
    expect(text).toMatch(/Completed rebalance of group g: generation 1 is Stable with 1 members .* in 3000 ms \(reason: Adding new member/);
    expect(text).toContain(`Member ${first.memberId} in group g has failed (no heartbeat within its session timeout of 10000 ms), removing it from the group`);
    expect(text).toContain(`Preparing to rebalance group g in state Stable with old generation 1 (reason: removing member ${first.memberId} on heartbeat expiration)`);
    expect(text).toContain('Group g with generation 2 is now empty');
    expect(lines.filter((l) => l.startsWith('WARN') || l.startsWith('ERROR'))).toEqual([]);
  });
});
