/**
 * Client-side partition assignors (the group leader runs one and sends the result in SyncGroup).
 * range: Kafka's RangeAssignor — per topic, members sorted by id, partitions split into contiguous
 * ranges, the first (n % members) members getting one extra. roundrobin: all partitions of all
 * topics dealt out in turn to the members subscribed to them (RoundRobinAssignor).
 */

export interface MemberSubscription {
  memberId: string;
  topics: string[];
  /** Partitions the member holds now (subscription v1+), topic → partitions. */
  owned?: Map<string, number[]>;
  /** The subscription's userData (custom assignors read it). */
  userData?: Buffer | null;
}

/** memberId → topic → partitions */
export type Assignment = Map<string, Map<string, number[]>>;

export interface Assignor {
  name: string;
  assign(members: MemberSubscription[], partitionCounts: Map<string, number>): Assignment;
}

function empty(members: MemberSubscription[]): Assignment {
  return new Map(members.map((m) => [m.memberId, new Map<string, number[]>()]));
}

function add(a: Assignment, member: string, topic: string, partition: number): void {
  const byTopic = a.get(member)!;
  let list = byTopic.get(topic);
  if (!list) byTopic.set(topic, (list = []));
  list.push(partition);
}

export const rangeAssignor: Assignor = {
  name: 'range',
  assign(members, partitionCounts) {
    const out = empty(members);
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    for (const topic of topics) {
      const count = partitionCounts.get(topic) ?? 0;
      const subs = members.filter((m) => m.topics.includes(topic)).map((m) => m.memberId).sort();
      if (subs.length === 0 || count === 0) continue;
      const per = Math.floor(count / subs.length);
      const extra = count % subs.length;
      for (let i = 0; i < subs.length; i++) {
        const start = per * i + Math.min(i, extra);
        const len = per + (i < extra ? 1 : 0);
        for (let p = start; p < start + len; p++) add(out, subs[i]!, topic, p);
      }
    }
    return out;
  },
};

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  assign(members, partitionCounts) {
    const out = empty(members);
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const topics = [...new Set(members.flatMap((m) => m.topics))].sort();
    let i = 0;
    for (const topic of topics) {
      const count = partitionCounts.get(topic) ?? 0;
      for (let p = 0; p < count; p++) {
        // Next member (in turn) that subscribes to this topic.
        for (let tries = 0; tries < sorted.length; tries++) {
          const m = sorted[i++ % sorted.length]!;
          if (m.topics.includes(topic)) {
            add(out, m.memberId, topic, p);
            break;
          }
        }
      }
    }
    return out;
  },
};

/**
 * cooperative-sticky (KIP-429, Kafka's CooperativeStickyAssignor): a balanced assignment that keeps
 * as many partitions as possible with their current owners, then — the cooperative part — leaves out
 * of this round every partition that would move from one member to another while the old owner still
 * holds it. The old owner sees it revoked and rejoins; the next round hands it to the new owner, so
 * no partition is ever owned by two members at once and the others never stop consuming.
 */
export const cooperativeStickyAssignor: Assignor = {
  name: 'cooperative-sticky',
  assign(members, partitionCounts) {
    const out = empty(members);
    const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
    const key = (t: string, p: number) => `${t}\0${p}`;
    const all: Array<[string, number]> = [];
    for (const topic of [...new Set(members.flatMap((m) => m.topics))].sort()) {
      for (let p = 0; p < (partitionCounts.get(topic) ?? 0); p++) all.push([topic, p]);
    }
    const exists = new Set(all.map(([t, p]) => key(t, p)));
    // Current owners (first claim wins if two members claim the same partition).
    const owner = new Map<string, string>();
    for (const m of sorted) {
      for (const [t, ps] of m.owned ?? []) {
        if (!m.topics.includes(t)) continue;
        for (const p of ps) if (exists.has(key(t, p)) && !owner.has(key(t, p))) owner.set(key(t, p), m.memberId);
      }
    }
    const count = new Map(sorted.map((m) => [m.memberId, 0]));
    const n = all.length;
    const minQuota = sorted.length > 0 ? Math.floor(n / sorted.length) : 0;
    let maxSlots = sorted.length > 0 ? n % sorted.length : 0;
    const assigned = new Set<string>();
    // 1. Members keep what they own, up to their quota (only `n % members` of them may keep one more).
    for (const m of sorted) {
      const mine = all.filter(([t, p]) => owner.get(key(t, p)) === m.memberId);
      let quota = minQuota;
      if (mine.length > minQuota && maxSlots > 0) {
        quota = minQuota + 1;
        maxSlots--;
      }
      for (const [t, p] of mine.slice(0, quota)) {
        add(out, m.memberId, t, p);
        assigned.add(key(t, p));
        count.set(m.memberId, count.get(m.memberId)! + 1);
      }
    }
    // 2. The rest go, one by one, to the least loaded subscriber.
    for (const [t, p] of all) {
      if (assigned.has(key(t, p))) continue;
      let best: string | null = null;
      for (const m of sorted) {
        if (!m.topics.includes(t)) continue;
        if (best === null || count.get(m.memberId)! < count.get(best)!) best = m.memberId;
      }
      if (best === null) continue;
      add(out, best, t, p);
      count.set(best, count.get(best)! + 1);
    }
    // 3. Cooperative: a partition moving away from a member that still owns it waits a round.
    for (const [memberId, byTopic] of out) {
      for (const [t, ps] of byTopic) {
        const keep = ps.filter((p) => {
          const o = owner.get(key(t, p));
          return o === undefined || o === memberId;
        });
        if (keep.length === ps.length) continue;
        if (keep.length === 0) byTopic.delete(t);
        else byTopic.set(t, keep);
      }
    }
    return out;
  },
};

export const assignors: Record<string, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};
