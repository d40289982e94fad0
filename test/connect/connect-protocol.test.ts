import { describe, expect, it } from 'vitest';
import { decodeAssignment, decodeMetadata, encodeAssignment, encodeMetadata, type ConnectAssignment } from '../../src/connect/runtime/distributed/connect-protocol.ts';
import { CooperativeAssignor } from '../../src/connect/runtime/distributed/cooperative-assignor.ts';

/** Java Struct encoding, spelled out by hand: int16 length + UTF-8 for STRING, big-endian ints. */
const str = (s: string) => Buffer.concat([Buffer.from([s.length >> 8, s.length & 0xff]), Buffer.from(s, 'utf8')]);
const i16 = (v: number) => Buffer.from([(v >> 8) & 0xff, v & 0xff]);
const i32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const i64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64BE(BigInt(v));
  return b;
};

const assignment = (over: Partial<ConnectAssignment> = {}): ConnectAssignment => ({
  version: 1,
  error: 0,
  leader: 'leader-1',
  leaderUrl: 'http://w1:8083/',
  configOffset: 7n,
  connectors: [],
  tasks: [],
  revokedConnectors: [],
  revokedTasks: [],
  delay: 0,
  ...over,
});

describe('Connect group protocol bytes', () => {
  it('eager (v0) metadata is version, url, config offset', () => {
    const b = encodeMetadata({ url: 'http://w1:8083/', configOffset: 12n, assignment: null }, 'default');
    expect(b).toEqual(Buffer.concat([i16(0), str('http://w1:8083/'), i64(12)]));
    expect(decodeMetadata(b)).toEqual({ version: 0, url: 'http://w1:8083/', configOffset: 12n, assignment: null });
  });

  it('sessioned (v2) metadata carries the current assignment as nullable bytes', () => {
    const empty = encodeMetadata({ url: 'u', configOffset: 3n, assignment: null }, 'sessioned');
    expect(empty).toEqual(Buffer.concat([i16(2), str('u'), i64(3), i32(-1)]));
    const a = assignment({ connectors: ['c'], tasks: [{ connector: 'c', task: 0 }, { connector: 'd', task: 1 }] });
    const b = encodeMetadata({ url: 'u', configOffset: 3n, assignment: a }, 'compatible');
    const inner = encodeAssignment({ ...a, version: 1 });
    expect(b).toEqual(Buffer.concat([i16(1), str('u'), i64(3), i32(inner.length), inner]));
    expect(decodeMetadata(b).assignment).toMatchObject({ connectors: ['c'], tasks: [{ connector: 'c', task: 0 }, { connector: 'd', task: 1 }] });
  });

  it('a v1 assignment groups tasks by connector, -1 standing for the connector, then revoked and the delay', () => {
    const a = assignment({ connectors: ['c'], tasks: [{ connector: 'c', task: 2 }], revokedTasks: [{ connector: 'x', task: 0 }], delay: 1500 });
    const expected = Buffer.concat([
      i16(1), i16(0), str('leader-1'), str('http://w1:8083/'), i64(7),
      i32(1), str('c'), i32(2), i32(-1), i32(2),
      i32(1), str('x'), i32(1), i32(0),
      i32(1500),
    ]);
    expect(encodeAssignment(a)).toEqual(expected);
    expect(decodeAssignment(expected)).toEqual(a);
  });

  it('a v0 assignment has no revoked list or delay', () => {
    const a = assignment({ version: 0, connectors: ['c'] });
    const b = encodeAssignment(a);
    expect(b).toEqual(Buffer.concat([i16(0), i16(0), str('leader-1'), str('http://w1:8083/'), i64(7), i32(1), str('c'), i32(1), i32(-1)]));
    expect(decodeAssignment(b)).toEqual(a);
  });
});

describe('the incremental cooperative assignor', () => {
  const t = (connector: string, task: number) => ({ connector, task });

  it('spreads new work over the least-loaded workers', () => {
    const r = new CooperativeAssignor(1000).assign([{ memberId: 'a', connectors: [], tasks: [] }, { memberId: 'b', connectors: [], tasks: [] }], new Map([['c', 4]]));
    expect(r.delay).toBe(0);
    expect(r.members.get('a')!.tasks).toHaveLength(2);
    expect(r.members.get('b')!.tasks).toHaveLength(2);
    expect(r.members.get('a')!.connectors.length + r.members.get('b')!.connectors.length).toBe(1);
  });

  it('holds a departed worker’s work back for the delay, then hands it out', () => {
    let now = 0;
    const as = new CooperativeAssignor(2000, () => now);
    const first = as.assign([{ memberId: 'a', connectors: [], tasks: [] }, { memberId: 'b', connectors: [], tasks: [] }], new Map([['c', 4]]));
    const aOwn = first.members.get('a')!;
    // b is gone: a reports only its own work.
    now = 100;
    const lost = as.assign([{ memberId: 'a', connectors: aOwn.connectors, tasks: aOwn.tasks }], new Map([['c', 4]]));
    expect(lost.delay).toBe(2000);
    expect(lost.members.get('a')!.tasks).toEqual([]);
    now = 1100;
    expect(as.assign([{ memberId: 'a', connectors: aOwn.connectors, tasks: aOwn.tasks }], new Map([['c', 4]])).delay).toBe(1000);
    now = 2200;
    const moved = as.assign([{ memberId: 'a', connectors: aOwn.connectors, tasks: aOwn.tasks }], new Map([['c', 4]]));
    expect(moved.delay).toBe(0);
    expect([...aOwn.tasks, ...moved.members.get('a')!.tasks].map((x) => x.task).sort()).toEqual([0, 1, 2, 3]);
  });

  it('eager ("default" protocol): members stopped everything, so everything is assigned afresh, nothing held back', () => {
    const as = new CooperativeAssignor(5000);
    as.assign([{ memberId: 'a', connectors: [], tasks: [] }, { memberId: 'b', connectors: [], tasks: [] }], new Map([['c', 2]]), true);
    const r = as.assign([{ memberId: 'a', connectors: [], tasks: [] }], new Map([['c', 2]]), true);
    expect(r.delay).toBe(0);
    expect(r.members.get('a')).toEqual({ connectors: ['c'], tasks: [t('c', 0), t('c', 1)], revokedConnectors: [], revokedTasks: [] });
  });

  it('revokes the excess when a worker joins, and deleted or doubly-claimed work', () => {
    const as = new CooperativeAssignor(1000);
    const all = [t('c', 0), t('c', 1), t('c', 2), t('c', 3)];
    const r = as.assign([{ memberId: 'a', connectors: ['c', 'gone'], tasks: all }, { memberId: 'b', connectors: [], tasks: [t('c', 0)] }], new Map([['c', 4]]));
    const a = r.members.get('a')!;
    expect(a.revokedConnectors).toEqual(['gone']);
    // b's claim on c-0 duplicates a's: revoked from b. a then gives up two tasks (4 vs 0 → 2 vs 2),
    // assigned to b in the next round, once a has stopped them.
    expect(r.members.get('b')!.revokedTasks).toEqual([t('c', 0)]);
    expect(a.revokedTasks).toHaveLength(2);
    expect(r.members.get('b')!.tasks).toEqual([]);
    const next = as.assign([{ memberId: 'a', connectors: ['c'], tasks: all.filter((x) => !a.revokedTasks.some((y) => y.task === x.task)) }, { memberId: 'b', connectors: [], tasks: [] }], new Map([['c', 4]]));
    expect(next.members.get('b')!.tasks.map((x) => x.task).sort()).toEqual(a.revokedTasks.map((x) => x.task).sort());
  });
});

describe('distributed worker config', () => {
  const base = { 'group.id': 'g', 'config.storage.topic': 'c', 'offset.storage.topic': 'o', 'status.storage.topic': 's' };

  it('takes Kafka’s names and defaults', async () => {
    const { parseDistributedConfig } = await import('../../src/connect/runtime/distributed/distributed-config.ts');
    expect(parseDistributedConfig(base)).toEqual({
      groupId: 'g', configTopic: 'c', offsetTopic: 'o', statusTopic: 's',
      configReplicationFactor: 3, offsetReplicationFactor: 3, offsetPartitions: 25, statusReplicationFactor: 3, statusPartitions: 5,
      sessionTimeoutMs: 10000, heartbeatIntervalMs: 3000, rebalanceTimeoutMs: 60000, scheduledRebalanceMaxDelayMs: 300000,
      protocols: ['sessioned', 'compatible', 'default'], exactlyOnce: false,
    });
    expect(parseDistributedConfig({ ...base, 'connect.protocol': 'EAGER', 'exactly.once.source.support': 'enabled' })).toMatchObject({ protocols: ['default'], exactlyOnce: true });
  });

  it('rejects what Kafka rejects, with its messages', async () => {
    const { parseDistributedConfig } = await import('../../src/connect/runtime/distributed/distributed-config.ts');
    expect(() => parseDistributedConfig({ ...base, 'group.id': '' })).toThrow('Missing required configuration "group.id" which has no default value.');
    expect(() => parseDistributedConfig({ ...base, 'status.storage.topic': 'c' })).toThrow(/must all be different topics/);
    expect(() => parseDistributedConfig({ ...base, 'connect.protocol': 'fast' })).toThrow(/connect.protocol/);
    expect(() => parseDistributedConfig({ ...base, 'offset.storage.replication.factor': '0' })).toThrow(/Replication factor must be positive/);
  });
});
