/**
 * Client-side partition assignors (the group leader runs one and sends the result in SyncGroup).
 * range: Kafka's RangeAssignor — per topic, members sorted by id, partitions split into contiguous
 * ranges, the first (n % members) members getting one extra. roundrobin: all partitions of all
 * topics dealt out in turn to the members subscribed to them (RoundRobinAssignor).
 */

export interface MemberSubscription {
  memberId: string;
  topics: string[];
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

export const assignors: Record<string, Assignor> = { range: rangeAssignor, roundrobin: roundRobinAssignor };
