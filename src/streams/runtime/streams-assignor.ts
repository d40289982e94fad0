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

export function streamsAssignor(meta: TopologyMetadata): Assignor {
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
