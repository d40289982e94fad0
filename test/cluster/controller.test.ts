/**
 * Controller decisions on the local store with a fake clock: broker loss by lease expiry, clean and
 * unclean election, controlled shutdown, the way back, preferred-leader election, AlterPartition
 * validation, and fencing of a deposed controller.
 */
import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/cluster/controller.ts';
import { createLocalMetadataStore, newTopicId } from '../../src/cluster/stores.ts';
import { buildPartitionChange } from '../../src/cluster/partition-change.ts';
import { LeaderRecoveryState, NO_LEADER, type Lease, type LeaderRecoveryStateValue, type PartitionState } from '../../src/cluster/metadata-store.ts';
import { ErrorCode, errorName } from '../../src/protocol/error-codes.ts';

const part = (replicas: number[], over: Partial<PartitionState> = {}): PartitionState => ({
  replicas, isr: [...replicas], leader: replicas[0]!, leaderEpoch: 0, partitionEpoch: 0, leaderRecoveryState: 0, ...over,
});

/** A cluster of `ids` registered on a local store; `lose(id)` lets that broker's lease lapse. */
async function cluster(ids: number[], opts: { unclean?: boolean; topicConfigs?: Record<string, string> } = {}) {
  let now = 1_000_000;
  const { store, kv } = createLocalMetadataStore({ now: () => now });
  const leases = new Map<number, Lease>();
  for (const id of ids) {
    const lease = await store.grantLease(6000);
    leases.set(id, lease);
    await store.registerBroker({ nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, incarnationId: `i${id}`, inControlledShutdown: false }, lease);
  }
  const ctlLease = await store.grantLease(6000);
  const campaign = await store.campaign(99, ctlLease);
  const controller = new Controller({
    store, nodeId: 99, controllerEpoch: campaign.controller!.controllerEpoch,
    config: { uncleanLeaderElectionEnable: opts.unclean ?? false, autoLeaderRebalanceEnable: true },
  });
  const lose = async (...gone: number[]) => {
    now += 3000;
    for (const [id, l] of leases) if (!gone.includes(id)) await l.keepAlive();
    await ctlLease.keepAlive();
    now += 4000;
    kv.expireLeases();
  };
  const rejoin = async (id: number) => {
    const lease = await store.grantLease(6000);
    leases.set(id, lease);
    return store.registerBroker({ nodeId: id, host: '127.0.0.1', port: 9000 + id, rack: null, incarnationId: `i${id}b`, inControlledShutdown: false }, lease);
  };
  const state = async (topic = 't', p = 0) => (await store.snapshot()).partitions.find((x) => x.topic === topic && x.partition === p)!;
  return { store, controller, leases, lose, rejoin, state, ctlLease, configs: opts.topicConfigs ?? {} };
}

async function withTopic(c: Awaited<ReturnType<typeof cluster>>, parts: PartitionState[]) {
  await c.store.createTopic({ name: 't', topicId: newTopicId(), partitionCount: parts.length, configs: c.configs }, parts);
}

describe('controller on broker loss', () => {
  it('moves leadership to the next ISR replica, drops the lost broker from the ISR, bumps both epochs', async () => {
    const c = await cluster([1, 2, 3]);
    await withTopic(c, [part([1, 2, 3]), part([2, 3, 1])]);
    await c.lose(1);
    const updates = await c.controller.reconcile();
    expect(updates).toHaveLength(2);
    expect(await c.state('t', 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1, partitionEpoch: 1 });
    // Partition 1 keeps its leader: only the ISR shrinks, and (metadata version ≥ 3.6) no leader-epoch bump.
    expect(await c.state('t', 1)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 0, partitionEpoch: 1 });
    expect(updates.every((u) => !u.unclean)).toBe(true);
    expect(await c.controller.reconcile()).toEqual([]); // idempotent
  });

  it('takes a partition offline when no ISR replica is left, keeping the last ISR member, and brings it back with that member', async () => {
    const c = await cluster([1, 2, 3]);
    await withTopic(c, [part([1, 2, 3], { isr: [1] })]);
    await c.lose(1);
    await c.controller.reconcile();
    expect(await c.state()).toMatchObject({ leader: NO_LEADER, isr: [1], leaderEpoch: 1 });
    // Broker 1 restarts: the offline partition elects it again (clean: it is the ISR).
    await c.rejoin(1);
    await c.controller.reconcile();
    expect(await c.state()).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 2, partitionEpoch: 2 });
  });

  it('elects an out-of-sync replica only with unclean.leader.election.enable, marking it RECOVERING with ISR = [leader]', async () => {
    const clean = await cluster([1, 2, 3]);
    await withTopic(clean, [part([1, 2, 3], { isr: [1] })]);
    await clean.lose(1);
    await clean.controller.reconcile();
    expect((await clean.state()).leader).toBe(NO_LEADER);

    const byTopic = await cluster([1, 2, 3], { topicConfigs: { 'unclean.leader.election.enable': 'true' } });
    await withTopic(byTopic, [part([1, 2, 3], { isr: [1] })]);
    await byTopic.lose(1);
    const ups = await byTopic.controller.reconcile();
    expect(ups[0]!.unclean).toBe(true);
    expect(await byTopic.state()).toMatchObject({ leader: 2, isr: [2], leaderEpoch: 1, leaderRecoveryState: LeaderRecoveryState.RECOVERING });

    // The broker-wide default applies when the topic doesn't say; a topic "false" overrides a broker "true".
    const brokerWide = await cluster([1, 2], { unclean: true, topicConfigs: { 'unclean.leader.election.enable': 'false' } });
    await withTopic(brokerWide, [part([1, 2], { isr: [1] })]);
    await brokerWide.lose(1);
    await brokerWide.controller.reconcile();
    expect((await brokerWide.state()).leader).toBe(NO_LEADER);
  });
});

describe('controller on a broker restart it never saw missing', () => {
  it('fences the old incarnation first: leadership moves, and a sole ISR member is re-elected with a new leader epoch', async () => {
    const c = await cluster([1, 2, 3]);
    await withTopic(c, [part([1, 2, 3]), part([1, 2, 3], { isr: [1] })]);
    await c.controller.reconcile(); // the controller has now seen broker 1's epoch
    // Broker 1 crashes and is back (new lease, new epoch) before the controller runs again.
    await c.leases.get(1)!.revoke();
    await c.rejoin(1);
    await c.controller.reconcile();
    // Partition 0: broker 2 took over and 1 left the ISR (it must catch up again).
    expect(await c.state('t', 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
    // Partition 1: offline for a moment (fenced), then the new incarnation leads at a higher epoch.
    expect(await c.state('t', 1)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 2, partitionEpoch: 2 });
    expect(await c.controller.reconcile()).toEqual([]);
  });
});

describe('controlled shutdown and preferred leaders', () => {
  it('moves leadership away from a broker in controlled shutdown before it leaves, then gives it back once it is back in the ISR', async () => {
    const c = await cluster([1, 2, 3]);
    await withTopic(c, [part([1, 2, 3]), part([2, 1, 3])]);
    await c.store.updateBroker({ nodeId: 1, host: '127.0.0.1', port: 9001, rack: null, incarnationId: 'i1', inControlledShutdown: true }, c.leases.get(1)!);
    await c.controller.reconcile();
    const snap = await c.store.snapshot();
    expect(Controller.leaderships(snap, 1)).toEqual([]);
    expect(await c.state('t', 0)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 1 });
    expect(await c.state('t', 1)).toMatchObject({ leader: 2, isr: [2, 3], leaderEpoch: 0 });

    // Broker 1 comes back; its leader re-adds it to the ISR via AlterPartition (validated), then the
    // preferred-leader election hands partition 0 back.
    await c.leases.get(1)!.revoke();
    const back = await c.rejoin(1);
    const s0 = await c.state('t', 0);
    const alter = await c.controller.alterPartition('t', 0, {
      brokerId: 2, brokerEpoch: (await c.store.snapshot()).brokers.find((b) => b.nodeId === 2)!.brokerEpoch,
      leaderEpoch: s0.leaderEpoch, partitionEpoch: s0.partitionEpoch, newIsr: [2, 3, 1], leaderRecoveryState: 0,
    });
    expect(errorName(alter.errorCode)).toBe('NONE');
    expect(back.brokerEpoch).toBeGreaterThan(0);
    const ups = await c.controller.autoRebalance();
    expect(ups.map((u) => [u.after.partition, u.after.leader])).toEqual([[0, 1]]);
    expect(await c.state('t', 0)).toMatchObject({ leader: 1, leaderEpoch: 2 });
    // Partition 1's preferred replica (2) already leads: nothing to do.
    expect(await c.controller.electPreferredLeaders()).toEqual([]);
  });

  it('preferred election does nothing while the preferred replica is out of the ISR', () => {
    expect(buildPartitionChange(part([1, 2, 3], { leader: 2, isr: [2, 3] }), { targetIsr: [2, 3], isAcceptableLeader: () => true, election: 'PREFERRED' })).toBeNull();
  });
});

describe('AlterPartition validation (Kafka order and codes)', () => {
  it('accepts a valid shrink and rejects stale, foreign, malformed and ineligible requests', async () => {
    const c = await cluster([1, 2, 3]);
    await withTopic(c, [part([1, 2, 3])]);
    const snap = await c.store.snapshot();
    const epoch = (id: number) => snap.brokers.find((b) => b.nodeId === id)!.brokerEpoch;
    const base = { brokerId: 1, brokerEpoch: epoch(1), leaderEpoch: 0, partitionEpoch: 0, newIsr: [1, 2], leaderRecoveryState: 0 as LeaderRecoveryStateValue };
    const code = async (over: Partial<typeof base>, tp = 0) => errorName((await c.controller.alterPartition('t', tp, { ...base, ...over })).errorCode);

    expect(await code({ brokerEpoch: epoch(1) - 1 })).toBe('STALE_BROKER_EPOCH');
    expect(await code({}, 5)).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(await code({ leaderEpoch: 1 })).toBe('NOT_CONTROLLER');
    expect(await code({ brokerId: 2, brokerEpoch: epoch(2) })).toBe('INVALID_REQUEST');
    expect(await code({ newIsr: [2, 3] })).toBe('INVALID_REQUEST'); // must include the leader
    expect(await code({ newIsr: [1, 4] })).toBe('INVALID_REQUEST'); // not a replica
    expect(await code({ newIsr: [1, 2], leaderRecoveryState: 1 })).toBe('INVALID_REQUEST');

    const ok = await c.controller.alterPartition('t', 0, base);
    expect(ok.errorCode).toBe(ErrorCode.NONE);
    expect(ok.state).toMatchObject({ isr: [1, 2], leader: 1, leaderEpoch: 0, partitionEpoch: 1 });
    // The same request again is based on an old partition epoch.
    expect(await code({})).toBe('INVALID_UPDATE_VERSION');
    expect(await code({ leaderEpoch: -1, partitionEpoch: 1 })).toBe('FENCED_LEADER_EPOCH');
    // A lost broker cannot be added back.
    await c.lose(3);
    const fresh = await c.store.snapshot();
    expect(errorName((await c.controller.alterPartition('t', 0, { ...base, brokerEpoch: fresh.brokers.find((b) => b.nodeId === 1)!.brokerEpoch, partitionEpoch: 1, newIsr: [1, 2, 3] })).errorCode)).toBe('INELIGIBLE_REPLICA');
  });

  it('a deposed controller is fenced: its writes fail with NOT_CONTROLLER and reconcile throws', async () => {
    const c = await cluster([1, 2]);
    await withTopic(c, [part([1, 2])]);
    await c.store.resign(99, c.ctlLease);
    const other = await c.store.grantLease(6000);
    expect((await c.store.campaign(7, other)).elected).toBe(true);
    const s = await c.state();
    const epoch1 = (await c.store.snapshot()).brokers.find((b) => b.nodeId === 1)!.brokerEpoch;
    const res = await c.controller.alterPartition('t', 0, { brokerId: 1, brokerEpoch: epoch1, leaderEpoch: 0, partitionEpoch: s.partitionEpoch, newIsr: [1], leaderRecoveryState: 0 });
    expect(errorName(res.errorCode)).toBe('NOT_CONTROLLER');
    await c.lose(1);
    await expect(c.controller.reconcile()).rejects.toThrow(/no longer the controller/);
    expect(await c.state()).toMatchObject({ leader: 1, partitionEpoch: 0 });
  });
});
