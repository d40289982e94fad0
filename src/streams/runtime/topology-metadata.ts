/**
 * What the broker runtime needs to know about a Topology: its sub-topologies with their (decorated)
 * source topics and stores, the repartition and changelog topics to create, and their partition
 * counts (Kafka's InternalTopologyBuilder.topicGroups + RepartitionTopics + CopartitionedTopicsEnforcer).
 */
import { TopologyException } from "../topology.ts";
import type { Topology } from "../topology.ts";

export interface StoreInfo {
  name: string;
  /** `<app>-<store>-changelog`, or null when logging is disabled. */
  changelog: string | null;
  logConfig: { [key: string]: string };
}
export interface SubtopologyInfo {
  id: number;
  nodes: string[];
  /** Decorated names (repartition topics carry the `<application.id>-` prefix). */
  sourceTopics: string[];
  stores: StoreInfo[];
}
/**
 * The global sub-topologies (Kafka's globalTaskTopology): every instance reads all partitions of their
 * source topics, which are also the global stores' changelogs (no `-changelog` topic is made).
 */
export interface GlobalTopologyInfo {
  /** Every node of every global sub-topology (one global task runs them all, as Kafka's GlobalStateUpdateTask). */
  nodes: string[];
  /** Source topic → the global store it feeds. */
  topicToStore: Map<string, string>;
  stores: string[];
}
export interface TopologyMetadata {
  subtopologies: SubtopologyInfo[];
  global: GlobalTopologyInfo;
  /** Decorated repartition topic → explicitly requested partition count (Repartitioned.numberOfPartitions). */
  repartitionTopics: Map<string, number | undefined>;
  /** Topic → sub-topology reading it. */
  topicToSubtopology: Map<string, number>;
}

/** Kafka's task id text, `<subtopology>_<partition>`. */
export const taskIdText = (subtopology: number, partition: number): string => `${subtopology}_${partition}`;
export function parseTaskId(s: string): { subtopology: number; partition: number } | null {
  const m = /^(\d+)_(\d+)$/.exec(s);
  return m ? { subtopology: Number(m[1]), partition: Number(m[2]) } : null;
}

export function analyzeTopology(topology: Topology, applicationId: string): TopologyMetadata {
  const decorate = (t: string): string => (topology.internalTopics.has(t) ? `${applicationId}-${t}` : t);
  const subtopologies: SubtopologyInfo[] = [];
  const topicToSubtopology = new Map<string, number>();
  const global: GlobalTopologyInfo = { nodes: [], topicToStore: new Map(), stores: [] };
  for (const g of topology.subtopologies()) {
    if (g.global) {
      addGlobal(topology, g.nodes, global);
      continue;
    }
    const sourceTopics: string[] = [];
    const storeNames = new Set<string>();
    for (const n of g.nodes) {
      const def = topology.nodes.get(n)!;
      if (def.kind === "source") {
        if (def.pattern) throw new Error(`Source ${def.name} subscribes by pattern: pattern subscriptions are not yet supported by the kstream Streams runtime`);
        for (const t of def.topics ?? []) sourceTopics.push(decorate(t));
      }
      // A global store read by a stream processor is not the task's: the global thread owns it.
      if (def.kind === "processor") for (const s of def.stores) if (!topology.globalStoreNames.has(s)) storeNames.add(s);
    }
    const stores = [...storeNames].map((name): StoreInfo => {
      const b = topology.storeBuilders.get(name)!;
      return { name, changelog: b.loggingEnabled() ? `${applicationId}-${name}-changelog` : null, logConfig: b.logConfig() };
    });
    for (const t of sourceTopics) topicToSubtopology.set(t, g.id);
    subtopologies.push({ id: g.id, nodes: g.nodes, sourceTopics, stores });
  }
  const repartitionTopics = new Map<string, number | undefined>();
  for (const [t, cfg] of topology.internalTopics) repartitionTopics.set(decorate(t), cfg.partitions);
  return { subtopologies, global, repartitionTopics, topicToSubtopology };
}

/** A global sub-topology is a source and the processor that updates its store (Topology.addGlobalStore). */
function addGlobal(topology: Topology, nodes: string[], into: GlobalTopologyInfo): void {
  into.nodes.push(...nodes);
  const stores = nodes.flatMap((n) => {
    const def = topology.nodes.get(n)!;
    return def.kind === "processor" ? def.stores.filter((s) => topology.globalStoreNames.has(s)) : [];
  });
  for (const n of nodes) {
    const def = topology.nodes.get(n)!;
    if (def.kind !== "source") continue;
    for (const t of def.topics ?? []) into.topicToStore.set(t, stores[0] ?? "");
  }
  for (const s of stores) if (!into.stores.includes(s)) into.stores.push(s);
}

/**
 * Partition counts for every repartition topic and every sub-topology (its task count). External
 * topics' counts come from the cluster; a repartition topic without an explicit count takes the max
 * of the sub-topology writing to it, as Kafka does; sources of a stateful sub-topology must be
 * co-partitioned (Kafka's error message when not).
 */
export function resolvePartitions(
  topology: Topology,
  meta: TopologyMetadata,
  external: Map<string, number>,
  applicationId: string,
): { topicPartitions: Map<string, number>; tasksPerSubtopology: Map<number, number> } {
  const counts = new Map(external);
  for (const [t, n] of meta.repartitionTopics) if (n !== undefined) counts.set(t, n);
  const decorate = (t: string): string => (topology.internalTopics.has(t) ? `${applicationId}-${t}` : t);
  // Writers of each repartition topic: the sub-topology of the sink node.
  const writers = new Map<string, number[]>();
  for (const sub of meta.subtopologies) {
    for (const n of sub.nodes) {
      const def = topology.nodes.get(n)!;
      if (def.kind === "sink" && def.topic && meta.repartitionTopics.has(decorate(def.topic))) {
        const t = decorate(def.topic);
        writers.set(t, [...(writers.get(t) ?? []), sub.id]);
      }
    }
  }
  for (let progress = true; progress; ) {
    progress = false;
    for (const t of meta.repartitionTopics.keys()) {
      if (counts.has(t)) continue;
      const from = (writers.get(t) ?? []).flatMap((id) => meta.subtopologies.find((s) => s.id === id)!.sourceTopics);
      if (from.length > 0 && from.every((f) => counts.has(f))) {
        counts.set(t, Math.max(...from.map((f) => counts.get(f)!)));
        progress = true;
      }
    }
  }
  const tasksPerSubtopology = new Map<number, number>();
  for (const sub of meta.subtopologies) {
    const ext = sub.sourceTopics.filter((t) => !meta.repartitionTopics.has(t));
    for (const t of sub.sourceTopics) if (!counts.has(t)) throw new Error(`Topic not found: ${t} (source topic of sub-topology ${sub.id}); create it before starting the app`);
    if (sub.stores.length > 0 && ext.length > 1) {
      const sizes = new Map(ext.map((t) => [t, counts.get(t)!]));
      if (new Set(sizes.values()).size > 1) {
        const sorted = [...sizes].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        throw new TopologyException(`Topics not co-partitioned: [{${sorted.map(([k, v]) => `${k}=${v}`).join(", ")}}]`);
      }
    }
    // Repartition topics feeding a stateful sub-topology take the external topics' count.
    if (sub.stores.length > 0 && ext.length > 0) {
      const n = counts.get(ext[0]!)!;
      for (const t of sub.sourceTopics) {
        if (!meta.repartitionTopics.has(t)) continue;
        const explicit = meta.repartitionTopics.get(t);
        if (explicit !== undefined && explicit !== n) {
          throw new TopologyException(`Number of partitions [${explicit}] of repartition topic [${t}] doesn't match number of partitions [${n}] of the source topic.`);
        }
        counts.set(t, n);
      }
    }
    tasksPerSubtopology.set(sub.id, Math.max(...sub.sourceTopics.map((t) => counts.get(t)!)));
  }
  return { topicPartitions: counts, tasksPerSubtopology };
}

/** Kafka's default configs for internal topics (RepartitionTopicConfig, UnwindowedUnversionedChangelogTopicConfig). */
export const REPARTITION_TOPIC_CONFIG: { [key: string]: string } = {
  "cleanup.policy": "delete",
  "segment.bytes": "52428800",
  "retention.ms": "-1",
};
export const CHANGELOG_TOPIC_CONFIG: { [key: string]: string } = {
  "cleanup.policy": "compact",
};
