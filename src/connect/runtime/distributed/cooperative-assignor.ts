import type { TaskId } from './connect-protocol.ts';

/**
 * The leader's assignment (Kafka's IncrementalCooperativeAssignor, in its essentials):
 *  - what members report they run stays where it is, unless the connector/task no longer exists or
 *    two members claim it (then it is revoked);
 *  - work that belonged to a member which has left the group is "lost": it is held back for
 *    `scheduled.rebalance.max.delay.ms` (the member may come back, e.g. a rolling restart) and the
 *    assignment carries the remaining delay, after which the members rejoin and the leader hands the
 *    lost work to the least-loaded members;
 *  - new work goes to the least-loaded members (connectors and tasks balanced separately);
 *  - when nothing is waiting, an unbalanced group (a worker joined) is evened out by revoking the
 *    excess from the most loaded members; revoked work is assigned in the next round, after its
 *    owner has stopped it.
 * Eager mode ("default" protocol): members stop everything before joining, so everything is new.
 */

export interface MemberLoad {
  memberId: string;
  connectors: string[];
  tasks: TaskId[];
}

export interface MemberResult {
  connectors: string[];
  tasks: TaskId[];
  revokedConnectors: string[];
  revokedTasks: TaskId[];
}

export interface AssignmentResult {
  members: Map<string, MemberResult>;
  /** ms until lost work is reassigned (0: nothing waiting). */
  delay: number;
}

type Item = string;
const connItem = (c: string): Item => JSON.stringify(['c', c]);
const taskItem = (t: TaskId): Item => JSON.stringify(['t', t.connector, t.task]);
function parseItem(i: Item): { connector: string } | { task: TaskId } {
  const a = JSON.parse(i) as [string, string, number?];
  return a[0] === 'c' ? { connector: a[1] } : { task: { connector: a[1], task: a[2]! } };
}
const isConn = (i: Item) => i.startsWith('["c"');

export class CooperativeAssignor {
  private readonly maxDelayMs: number;
  private readonly now: () => number;
  /** item → member that had it after the last assignment this leader made (null: none yet). */
  private previous: Map<Item, string> | null = null;
  private lostDeadline = 0;

  constructor(maxDelayMs: number, now: () => number = Date.now) {
    this.maxDelayMs = maxDelayMs;
    this.now = now;
  }

  /** `configured`: every connector with its committed task count. */
  assign(members: MemberLoad[], configured: Map<string, number>, eager = false): AssignmentResult {
    const all = new Set<Item>();
    for (const [c, n] of configured) {
      all.add(connItem(c));
      for (let t = 0; t < n; t++) all.add(taskItem({ connector: c, task: t }));
    }
    const ids = members.map((m) => m.memberId).sort();
    const out = new Map<string, MemberResult>(ids.map((id) => [id, { connectors: [], tasks: [], revokedConnectors: [], revokedTasks: [] }]));
    const owner = new Map<Item, string>();
    const load = new Map<string, { c: Item[]; t: Item[] }>(ids.map((id) => [id, { c: [], t: [] }]));
    const revoke = (id: string, item: Item) => {
      const p = parseItem(item);
      const r = out.get(id)!;
      if ('connector' in p) r.revokedConnectors.push(p.connector);
      else r.revokedTasks.push(p.task);
    };
    for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
      const items = eager ? [] : [...m.connectors.map(connItem), ...m.tasks.map(taskItem)];
      for (const item of items) {
        if (!all.has(item) || owner.has(item)) revoke(m.memberId, item);
        else {
          owner.set(item, m.memberId);
          const l = load.get(m.memberId)!;
          (isConn(item) ? l.c : l.t).push(item);
        }
      }
    }
    const present = new Set(ids);
    const lost: Item[] = [];
    if (!eager && this.previous) {
      for (const [item, prev] of this.previous) if (all.has(item) && !owner.has(item) && !present.has(prev)) lost.push(item);
    }
    const lostSet = new Set(lost);
    const toAssign: Item[] = [...all].filter((i) => !owner.has(i) && !lostSet.has(i));
    let delay = 0;
    const waiting = new Map<Item, string>();
    if (lost.length > 0) {
      const now = this.now();
      if (this.maxDelayMs <= 0) toAssign.push(...lost);
      else if (this.lostDeadline === 0) {
        this.lostDeadline = now + this.maxDelayMs;
        delay = this.maxDelayMs;
      } else if (now >= this.lostDeadline) {
        toAssign.push(...lost);
        this.lostDeadline = 0;
      } else delay = this.lostDeadline - now;
      if (delay > 0) for (const i of lost) waiting.set(i, this.previous!.get(i)!);
    } else this.lostDeadline = 0;

    // Even out an unbalanced group, only when nothing else is moving.
    if (!eager && toAssign.length === 0 && delay === 0 && ids.length > 1) {
      for (const kind of ['c', 't'] as const) {
        const virt = new Map(ids.map((id) => [id, load.get(id)![kind].length]));
        for (;;) {
          const sorted = [...virt].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
          const [maxId, max] = sorted[0]!;
          const [minId, min] = sorted[sorted.length - 1]!;
          if (max - min <= 1) break;
          const item = load.get(maxId)![kind].pop()!;
          owner.delete(item);
          revoke(maxId, item);
          virt.set(maxId, max - 1);
          virt.set(minId, min + 1);
        }
      }
    }

    if (ids.length > 0) {
      for (const item of toAssign.sort()) {
        const kind = isConn(item) ? 'c' : 't';
        const target = [...ids].sort((a, b) => load.get(a)![kind].length - load.get(b)![kind].length || (a < b ? -1 : 1))[0]!;
        load.get(target)![kind].push(item);
        owner.set(item, target);
        const p = parseItem(item);
        const r = out.get(target)!;
        if ('connector' in p) r.connectors.push(p.connector);
        else r.tasks.push(p.task);
      }
    }
    this.previous = new Map([...owner, ...waiting]);
    return { members: out, delay };
  }
}
