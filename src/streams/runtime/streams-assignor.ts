/**
 * The app's group assignor (protocol name "stream", as Kafka's StreamsPartitionAssignor): it assigns
 * whole tasks (sub-topology × partition, all their source partitions together) and is sticky — a task
 * stays with the member that ran it last generation, else goes to a member that has its state on
 * disk (reported in the subscription userData), else to the least-loaded member; no member gets more
 * than ceil(tasks / members). Runs on whichever member leads the group; every member has the same topology.
 */
import type { Assignment, Assignor, MemberSubscription } from "../../client/assignors.ts";
import { parseTaskId, taskIdText } from "./topology-metadata.ts";
import type { TopologyMetadata } from "./topology-metadata.ts";

export const STREAMS_PROTOCOL = "stream";

/**
 * Assigned to every member instead of tasks when one asked to shut the application down (Kafka's
 * AssignorError.SHUTDOWN_REQUESTED, carried here as a reserved topic name in the assignment).
 */
export const SHUTDOWN_MARKER = "__kstream_streams_shutdown_requested__";

/** Subscription userData: task ids this instance holds state for, and a shutdown request (our own JSON, version 1). */
export function encodeTaskUserData(tasksWithState: string[], shutdownRequested = false): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, tasksWithState, ...(shutdownRequested ? { shutdownRequested } : {}) }));
}
function decodeTaskUserData(b: Buffer | null | undefined): { tasksWithState: string[]; shutdownRequested: boolean } {
  if (!b || b.length === 0) return { tasksWithState: [], shutdownRequested: false };
  try {
    const v = JSON.parse(b.toString("utf8")) as { tasksWithState?: unknown; shutdownRequested?: unknown };
    const tasks = Array.isArray(v.tasksWithState) ? v.tasksWithState.filter((t): t is string => typeof t === "string" && parseTaskId(t) !== null) : [];
    return { tasksWithState: tasks, shutdownRequested: v.shutdownRequested === true };
  } catch {
    return { tasksWithState: [], shutdownRequested: false };
  }
}

/**
 * Standby tasks travel in the assignment as reserved pseudo-topics, one per sub-topology, whose
 * "partitions" are the standby tasks' partitions (our assignment has no userData of its own, as the
 * shutdown marker above). The thread never reads or commits them.
 */
export const STANDBY_PREFIX = "__kstream_streams_standby__.";
export function standbyTopic(subtopology: number): string {
  return `${STANDBY_PREFIX}${subtopology}`;
}
/** Standby task ids in an assignment. */
export function standbyTasksOf(assignment: Map<string, number[]>): string[] {
  const out: string[] = [];
  for (const [topic, parts] of assignment) {
    if (!topic.startsWith(STANDBY_PREFIX)) continue;
    const sub = Number(topic.slice(STANDBY_PREFIX.length));
    if (Number.isInteger(sub)) for (const p of parts) out.push(taskIdText(sub, p));
  }
  return out.sort();
}

export function streamsAssignor(meta: TopologyMetadata, numStandbyReplicas = 0): Assignor {
  return {
    name: STREAMS_PROTOCOL,
    assign(members: MemberSubscription[], partitionCounts: Map<string, number>): Assignment {
      const tasks: string[] = [];
      for (const sub of meta.subtopologies) {
        const n = Math.max(0, ...sub.sourceTopics.map((t) => partitionCounts.get(t) ?? 0));
        for (let p = 0; p < n; p++) tasks.push(taskIdText(sub.id, p));
      }
      const ids = members.map((m) => m.memberId).sort();
      if (members.some((m) => decodeTaskUserData(m.userData).shutdownRequested)) {
        return new Map(ids.map((id) => [id, new Map([[SHUTDOWN_MARKER, []]])]));
      }
      const capacity = Math.ceil(tasks.length / Math.max(1, ids.length));
      const load = new Map(ids.map((id) => [id, [] as string[]]));
      const owner = new Map<string, string>();
      const give = (task: string, member: string): void => {
        owner.set(task, member);
        load.get(member)!.push(task);
      };
      const taskOf = (topic: string, partition: number): string | undefined => {
        const sub = meta.topicToSubtopology.get(topic);
        return sub === undefined ? undefined : taskIdText(sub, partition);
      };
      // 1. Stick: tasks a member ran last generation (its owned partitions).
      // Owned tasks are kept partition by partition across sub-topologies, so a member over capacity
      // keeps a mix of every sub-topology rather than all of one.
      const byPartition = (a: string, b: string): number => {
        const x = parseTaskId(a)!, y = parseTaskId(b)!;
        return x.partition - y.partition || x.subtopology - y.subtopology;
      };
      for (const m of [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1))) {
        const owned = [...(m.owned ?? [])].flatMap(([topic, parts]) => parts.map((p) => taskOf(topic, p)).filter((t): t is string => t !== undefined));
        for (const t of [...new Set(owned)].sort(byPartition)) {
          if (tasks.includes(t) && !owner.has(t) && load.get(m.memberId)!.length < capacity) give(t, m.memberId);
        }
      }
      // 2. Tasks whose state a member has on disk.
      for (const m of members) {
        for (const t of decodeTaskUserData(m.userData).tasksWithState) {
          if (tasks.includes(t) && !owner.has(t) && load.get(m.memberId)!.length < capacity) give(t, m.memberId);
        }
      }
      // 3. The rest to the least-loaded member.
      for (const t of tasks) {
        if (owner.has(t)) continue;
        const least = ids.reduce((a, b) => (load.get(b)!.length < load.get(a)!.length ? b : a));
        give(t, least);
      }
      const out: Assignment = new Map(ids.map((id) => [id, new Map<string, number[]>()]));
      // 4. Standby replicas (num.standby.replicas) of every stateful task, each on a member other than
      // the active one and other standbys: first members that have its state on disk (so a standby
      // stays where it was), then the least loaded (Kafka's StandbyTaskAssignor, without rack awareness).
      const stateful = new Set(meta.subtopologies.filter((s) => s.stores.some((st) => st.changelog)).map((s) => s.id));
      const standbyLoad = new Map(ids.map((id) => [id, 0]));
      const hasState = new Map(members.map((m) => [m.memberId, new Set(decodeTaskUserData(m.userData).tasksWithState)]));
      for (let r = 0; r < numStandbyReplicas; r++) {
        for (const t of tasks) {
          const { subtopology, partition } = parseTaskId(t)!;
          if (!stateful.has(subtopology)) continue;
          const topic = standbyTopic(subtopology);
          const candidates = ids.filter((id) => owner.get(t) !== id && !(out.get(id)!.get(topic) ?? []).includes(partition));
          if (candidates.length === 0) continue; // fewer members than replicas: Kafka leaves it unassigned too
          const score = (id: string): number => load.get(id)!.length + standbyLoad.get(id)!;
          const pick = candidates.reduce((a, b) => {
            const sa = hasState.get(a)!.has(t), sb = hasState.get(b)!.has(t);
            if (sa !== sb) return sa ? a : b;
            return score(b) < score(a) ? b : a;
          });
          const byTopic = out.get(pick)!;
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition].sort((a, b) => a - b));
          standbyLoad.set(pick, standbyLoad.get(pick)! + 1);
        }
      }
      for (const [task, member] of owner) {
        const { subtopology, partition } = parseTaskId(task)!;
        const sub = meta.subtopologies.find((s) => s.id === subtopology)!;
        const byTopic = out.get(member)!;
        for (const topic of sub.sourceTopics) {
          if (partition >= (partitionCounts.get(topic) ?? 0)) continue;
          byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition].sort((a, b) => a - b));
        }
      }
      return out;
    },
  };
}
