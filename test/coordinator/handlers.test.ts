import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiHandler, BrokerContext } from '../../src/broker/handler.ts';
import { deleteGroups } from '../../src/broker/handlers/delete-groups.ts';
import { describeGroups } from '../../src/broker/handlers/describe-groups.ts';
import { findCoordinator } from '../../src/broker/handlers/find-coordinator.ts';
import { heartbeat } from '../../src/broker/handlers/heartbeat.ts';
import { initProducerId } from '../../src/broker/handlers/init-producer-id.ts';
import { joinGroup } from '../../src/broker/handlers/join-group.ts';
import { leaveGroup } from '../../src/broker/handlers/leave-group.ts';
import { listGroups } from '../../src/broker/handlers/list-groups.ts';
import { offsetCommit } from '../../src/broker/handlers/offset-commit.ts';
import { offsetDelete } from '../../src/broker/handlers/offset-delete.ts';
import { offsetFetch } from '../../src/broker/handlers/offset-fetch.ts';
import { syncGroup } from '../../src/broker/handlers/sync-group.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';
import { GroupCoordinator } from '../../src/coordinator/group-coordinator.ts';
import { MemoryOffsetLog } from '../../src/coordinator/offset-log.ts';
import { ProducerIdManager } from '../../src/coordinator/producer-ids.ts';
import { ManualScheduler } from '../../src/coordinator/scheduler.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { flush, makeTempDir, testBrokerContext, testRequestContext, type TempDir } from '../helpers/index.ts';
import { subscription } from './helpers.ts';

/**
 * Every handler at every version it advertises, end to end through the generated codecs: the
 * request is encoded and decoded at that version, handled by a real coordinator, and the response
 * encoded and decoded again — so per-version field rules (fields that cannot be sent, nullability)
 * are exercised exactly as the broker's dispatch would.
 */

const scheduler = new ManualScheduler();
let gc: GroupCoordinator;
let logs: LogManager;
let tmp: TempDir;
let broker: BrokerContext;
const warnings: string[] = [];

beforeAll(async () => {
  tmp = await makeTempDir('kstream-h4-handlers-');
  gc = await GroupCoordinator.load(new MemoryOffsetLog(), { scheduler, config: { initialRebalanceDelayMs: 0 } });
  const producerIds = await ProducerIdManager.open(join(tmp.dir, '__kstream_meta'));
  // Real storage holding topics t and u with 4 partitions each: OffsetCommit answers other partitions as unknown.
  logs = await LogManager.open({ dataDir: join(tmp.dir, 'logs'), now: () => scheduler.now() });
  for (const topic of ['t', 'u']) await logs.createTopic(topic, { partitions: 4 });
  broker = testBrokerContext({
    nodeId: 7,
    advertisedHost: 'broker.test',
    advertisedPort: 19092,
    clusterId: 'cluster',
    logs,
    coordinator: gc,
    producerIds,
    now: () => scheduler.now(),
    logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
  });
});
afterAll(async () => {
  await gc.close();
  await logs?.close();
  await tmp?.cleanup();
});

async function call(handler: ApiHandler, version: number, req: unknown): Promise<any> {
  expect(version).toBeGreaterThanOrEqual(handler.minVersion);
  expect(version).toBeLessThanOrEqual(handler.maxVersion);
  const codec = handler.api;
  const w = new Writer();
  codec.encodeRequest(w, req, version);
  const decoded = codec.decodeRequest(new Reader(w.finish()), version);
  const ctx = testRequestContext(broker, { apiKey: handler.api.key, apiVersion: version });
  const pending = Promise.resolve(handler.handle(decoded, ctx));
  // Let a new group's (zero) initial rebalance delay run.
  await flush();
  scheduler.advance(0);
  const res = await pending;
  const out = new Writer();
  codec.encodeResponse(out, res, version);
  ctx.responseSent();
  return codec.decodeResponse(new Reader(out.finish()), version);
}

const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe('FindCoordinator', () => {
  it.each(range(0, 6))('v%i answers with this broker', async (v) => {
    if (v >= 4) {
      const r = await call(findCoordinator, v, { keyType: 0, coordinatorKeys: ['a', 'b'] });
      expect(r.coordinators).toEqual([
        { key: 'a', nodeId: 7, host: 'broker.test', port: 19092, errorCode: 0, errorMessage: null, _unknownTaggedFields: [] },
        { key: 'b', nodeId: 7, host: 'broker.test', port: 19092, errorCode: 0, errorMessage: null, _unknownTaggedFields: [] },
      ].map(({ _unknownTaggedFields, ...c }) => expect.objectContaining(c)));
    } else {
      const r = await call(findCoordinator, v, v === 0 ? { key: 'grp' } : { key: 'tx', keyType: 1 });
      expect(r).toMatchObject({ errorCode: 0, nodeId: 7, host: 'broker.test', port: 19092 });
    }
  });

  it('refuses an unknown key type', async () => {
    const r = await call(findCoordinator, 3, { key: 'x', keyType: 9 });
    expect(r.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});

describe('a full group life cycle at each JoinGroup version', () => {
  it.each(range(0, 9))('JoinGroup v%i with matching Sync/Heartbeat/Commit/Fetch/Describe/List/Leave/Delete versions', async (v) => {
    const groupId = `group-v${v}`;
    const meta = subscription(['t']);
    const joinReq = (memberId: string) => ({
      groupId,
      sessionTimeoutMs: 10_000,
      ...(v >= 1 ? { rebalanceTimeoutMs: 10_000 } : {}),
      memberId,
      protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: meta }],
    });
    let j = await call(joinGroup, v, joinReq(''));
    if (v >= 4) {
      expect(j.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
      expect(j.memberId).toMatch(/^test-client-/);
      j = await call(joinGroup, v, joinReq(j.memberId));
    }
    expect(j.errorCode).toBe(0);
    expect(j.generationId).toBe(1);
    expect(j.leader).toBe(j.memberId);
    expect(j.protocolName).toBe('range');
    if (v >= 7) expect(j.protocolType).toBe('consumer');
    expect(j.members).toHaveLength(1);
    expect(Buffer.from(j.members[0].metadata).equals(meta)).toBe(true);
    const memberId: string = j.memberId;

    const sv = Math.min(v, 5);
    const s = await call(syncGroup, sv, {
      groupId,
      generationId: 1,
      memberId,
      ...(sv >= 5 ? { protocolType: 'consumer', protocolName: 'range' } : {}),
      assignments: [{ memberId, assignment: Buffer.from('assignment') }],
    });
    expect(s.errorCode).toBe(0);
    expect(Buffer.from(s.assignment).toString()).toBe('assignment');
    if (sv >= 5) expect([s.protocolType, s.protocolName]).toEqual(['consumer', 'range']);

    const hv = Math.min(v, 4);
    expect((await call(heartbeat, hv, { groupId, generationId: 1, memberId })).errorCode).toBe(0);
    expect((await call(heartbeat, hv, { groupId, generationId: 0, memberId })).errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);

    // OffsetCommit at v (0 is a standalone commit, which a live group refuses with 25).
    const commitReq = {
      groupId,
      ...(v >= 1 ? { generationIdOrMemberEpoch: 1, memberId } : {}),
      topics: [
        { name: 't', partitions: [{ partitionIndex: 0, committedOffset: 100n + BigInt(v), ...(v >= 6 ? { committedLeaderEpoch: 3 } : {}), committedMetadata: `m${v}` }] },
        { name: 'nope', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] },
      ],
    };
    const c = await call(offsetCommit, v, commitReq);
    expect(c.topics.map((t: any) => [t.name, t.partitions[0].errorCode])).toEqual([
      ['t', v === 0 ? ErrorCode.UNKNOWN_MEMBER_ID : ErrorCode.NONE],
      ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
    ]);
    const committed = v === 0 ? -1n : 100n + BigInt(v);

    const fetched = await call(offsetFetch, v, v >= 8
      ? { groups: [{ groupId, topics: [{ name: 't', partitionIndexes: [0, 1] }] }, { groupId: 'nobody', topics: null }] }
      : { groupId, topics: [{ name: 't', partitionIndexes: [0, 1] }] });
    const parts = v >= 8 ? fetched.groups[0].topics[0].partitions : fetched.topics[0].partitions;
    expect(parts.map((p: any) => [p.partitionIndex, p.committedOffset, p.errorCode])).toEqual([[0, committed, 0], [1, -1n, 0]]);
    if (v >= 1) expect(parts[0].metadata).toBe(`m${v}`);
    if (v >= 5) expect(parts[0].committedLeaderEpoch).toBe(v >= 6 ? 3 : -1);
    if (v >= 8) expect(fetched.groups[1]).toMatchObject({ groupId: 'nobody', errorCode: 0, topics: [] });
    if (v >= 2 && v < 8) {
      const all = await call(offsetFetch, v, { groupId, topics: null });
      expect(all.topics.map((t: any) => t.name)).toEqual(v === 0 ? [] : ['t']);
    }

    const dv = Math.min(v, 5);
    const d = await call(describeGroups, dv, { groups: [groupId], ...(dv >= 3 ? { includeAuthorizedOperations: true } : {}) });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupId, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
    expect(d.groups[0].members[0]).toMatchObject({ memberId, clientId: 'test-client', clientHost: '/127.0.0.1' });
    expect(Buffer.from(d.groups[0].members[0].memberAssignment).toString()).toBe('assignment');
    if (dv >= 3) expect(d.groups[0].authorizedOperations).toBeGreaterThan(0);

    const lv = Math.min(v, 5);
    const l = await call(listGroups, lv, lv >= 4 ? { statesFilter: ['stable'] } : {});
    const listed = l.groups.find((g: any) => g.groupId === groupId);
    expect(listed).toMatchObject({ groupId, protocolType: 'consumer' });
    if (lv >= 4) expect(listed.groupState).toBe('Stable');

    const delv = Math.min(v, 2);
    expect((await call(deleteGroups, delv, { groupsNames: [groupId] })).results[0].errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);

    const leave = await call(leaveGroup, Math.min(v, 5), v >= 3 ? { groupId, members: [{ memberId }] } : { groupId, memberId });
    expect(leave.errorCode).toBe(0);
    if (v >= 3) expect(leave.members).toEqual([expect.objectContaining({ memberId, errorCode: 0 })]);

    const od = await call(offsetDelete, 0, { groupId, topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
    expect(od.errorCode).toBe(0);
    expect((await call(deleteGroups, delv, { groupsNames: [groupId, 'never-was'] })).results.map((r: any) => r.errorCode)).toEqual([0, ErrorCode.GROUP_ID_NOT_FOUND]);
  });

  it('LeaveGroup v0–2 reports an unknown member as the response error', async () => {
    for (const v of [0, 1, 2]) {
      expect((await call(leaveGroup, v, { groupId: 'no-such', memberId: 'm' })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    }
  });
});

describe('InitProducerId', () => {
  it.each(range(0, 5))('v%i hands out a fresh id with epoch 0; a transactional id without a transaction coordinator is not served', async (v) => {
    const a = await call(initProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
    const b = await call(initProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000 });
    expect(a).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    expect(b.producerId).not.toBe(a.producerId);
    if (v >= 3) {
      const bumped = await call(initProducerId, v, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: a.producerId, producerEpoch: 0 });
      expect(bumped).toMatchObject({ errorCode: 0, producerId: a.producerId, producerEpoch: 1 });
    }
    const tx = await call(initProducerId, v, { transactionalId: 'my-tx', transactionTimeoutMs: 60_000 });
    // This context has no TransactionCoordinator (test/transactions covers the real one).
    expect(tx.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  });
});

describe('error responses', () => {
  it('every handler builds an encodable error response at every version', () => {
    const samples: [ApiHandler, (v: number) => unknown][] = [
      [findCoordinator, (v) => (v >= 4 ? { keyType: 0, coordinatorKeys: ['a'] } : { key: 'a' })],
      [joinGroup, () => ({ groupId: 'g', sessionTimeoutMs: 1, memberId: 'm', protocolType: 'consumer', protocols: [] })],
      [syncGroup, () => ({ groupId: 'g', generationId: 1, memberId: 'm', assignments: [] })],
      [heartbeat, () => ({ groupId: 'g', generationId: 1, memberId: 'm' })],
      [leaveGroup, (v) => (v >= 3 ? { groupId: 'g', members: [{ memberId: 'm' }] } : { groupId: 'g', memberId: 'm' })],
      [offsetCommit, () => ({ groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedMetadata: null }] }] })],
      [offsetFetch, (v) => (v >= 8 ? { groups: [{ groupId: 'g', topics: null }] } : { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0] }] })],
      [offsetDelete, () => ({ groupId: 'g', topics: [] })],
      [listGroups, () => ({})],
      [describeGroups, () => ({ groups: ['g'] })],
      [deleteGroups, () => ({ groupsNames: ['g'] })],
      [initProducerId, () => ({ transactionalId: null, transactionTimeoutMs: 1 })],
    ];
    for (const [h, req] of samples) {
      const codec = h.api;
      for (const v of range(h.minVersion, h.maxVersion)) {
        const w = new Writer();
        codec.encodeRequest(w, req(v), v);
        const decoded = codec.decodeRequest(new Reader(w.finish()), v);
        const res = h.errorResponse!(decoded, ErrorCode.NOT_COORDINATOR, testRequestContext(broker, { apiKey: h.api.key, apiVersion: v }));
        const out = new Writer();
        expect(() => codec.encodeResponse(out, res, v), `${codec.name} v${v}`).not.toThrow();
        expect(JSON.stringify(codec.decodeResponse(new Reader(out.finish()), v), (_k, x) => (typeof x === 'bigint' ? x.toString() : x))).toContain(String(ErrorCode.NOT_COORDINATOR));
      }
    }
  });
});
