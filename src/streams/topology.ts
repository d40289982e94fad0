/**
 * Topology: the processor graph (Kafka's Topology/InternalTopologyBuilder). The DSL writes into it; users
 * may build one directly with the Processor API. It holds definitions only; the runtime instantiates them.
 */
import type { ProcessorSupplier } from "./processor.ts";
import type { Serde } from "./serdes.ts";
import type { StateStore, StoreBuilder } from "./state/state-store.ts";
import { sortNodes, TopologyDescription } from "./topology-description.ts";
import type { GlobalStoreDescription, NodeDescription, SubtopologyDescription } from "./topology-description.ts";

/** Extracts the event time of a consumed record (Kafka's TimestampExtractor). */
export type TimestampExtractor = (record: { key: unknown; value: unknown; timestamp: number; topic: string }, partitionTime: number) => number;
/** Chooses a sink topic per record (Kafka's TopicNameExtractor). */
// Method syntax keeps these bivariant in K/V, so a Produced<string, …> fits a stream keyed `string | null`.
export type TopicNameExtractor<K, V> = { extract(key: K, value: V, context: { topic?: string; timestamp: number }): string }["extract"];
/** Chooses the partition of an outgoing record; undefined = default partitioner (murmur2 of key bytes). */
export type StreamPartitioner<K, V> = { partition(topic: string, key: K, value: V, numPartitions: number): number | undefined }["partition"];
export type AutoOffsetReset = "earliest" | "latest";

export interface SourceDef {
  kind: "source";
  name: string;
  topics?: string[];
  pattern?: RegExp;
  keySerde?: Serde<unknown>;
  valueSerde?: Serde<unknown>;
  timestampExtractor?: TimestampExtractor;
  offsetReset?: AutoOffsetReset;
  global: boolean;
}
export interface ProcessorDef {
  kind: "processor";
  name: string;
  supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  parents: string[];
  stores: string[];
}
export interface SinkDef {
  kind: "sink";
  name: string;
  topic?: string;
  extractor?: TopicNameExtractor<unknown, unknown>;
  keySerde?: Serde<unknown>;
  valueSerde?: Serde<unknown>;
  partitioner?: StreamPartitioner<unknown, unknown>;
  parents: string[];
}
export type NodeDef = SourceDef | ProcessorDef | SinkDef;

export class TopologyException extends Error {
  constructor(message: string) {
    super(`Invalid topology: ${message}`);
    this.name = "TopologyException";
  }
}

export class Topology {
  /** Insertion order matters: sub-topology ids follow it, as in Kafka. */
  readonly nodes = new Map<string, NodeDef>();
  readonly storeBuilders = new Map<string, StoreBuilder<StateStore>>();
  readonly globalStoreNames = new Set<string>();
  /** Repartition topics this topology creates; the runtime prefixes them with `<application.id>-`. */
  readonly internalTopics = new Map<string, { partitions?: number }>();

  private addNode(def: NodeDef): void {
    if (this.nodes.has(def.name)) throw new TopologyException(`Processor ${def.name} is already added.`);
    if (def.kind !== "source") {
      if (def.parents.length === 0) throw new TopologyException(`${def.kind === "sink" ? "Sink" : "Processor"} ${def.name} must have at least one parent`);
      for (const p of def.parents) {
        if (p === def.name) throw new TopologyException(`Processor ${def.name} cannot be a predecessor of itself.`);
        const parent = this.nodes.get(p);
        if (!parent) throw new TopologyException(`Parent processor ${p} is not added yet for ${def.name}`);
        if (parent.kind === "sink") throw new TopologyException(`Sink ${p} cannot be used a parent.`);
      }
    }
    this.nodes.set(def.name, def);
  }

  addSource(
    name: string | { name: string; keySerde?: Serde<unknown>; valueSerde?: Serde<unknown>; timestampExtractor?: TimestampExtractor; offsetReset?: AutoOffsetReset },
    ...topics: Array<string | RegExp>
  ): this {
    const opts = typeof name === "string" ? { name } : name;
    if (topics.length === 0) throw new TopologyException("At least one topic must be provided for a source");
    const pattern = topics.find((t): t is RegExp => t instanceof RegExp);
    const names = topics.filter((t): t is string => typeof t === "string");
    for (const other of this.nodes.values()) {
      if (other.kind === "source" && other.topics) {
        for (const t of names) {
          if (other.topics.includes(t)) throw new TopologyException(`Topic ${t} has already been registered by another source.`);
        }
      }
    }
    this.addNode({ kind: "source", ...opts, topics: pattern ? undefined : names, pattern, global: false });
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(name: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, ...parentNames: string[]): this {
    this.addNode({ kind: "processor", name, supplier: supplier as ProcessorSupplier<unknown, unknown, unknown, unknown>, parents: parentNames, stores: [] });
    return this;
  }

  addSink<K, V>(
    name: string,
    topic: string | TopicNameExtractor<K, V>,
    opts: { keySerde?: Serde<K>; valueSerde?: Serde<V>; partitioner?: StreamPartitioner<K, V> },
    ...parentNames: string[]
  ): this {
    this.addNode({
      kind: "sink",
      name,
      topic: typeof topic === "string" ? topic : undefined,
      extractor: typeof topic === "string" ? undefined : (topic as TopicNameExtractor<unknown, unknown>),
      keySerde: opts.keySerde as Serde<unknown> | undefined,
      valueSerde: opts.valueSerde as Serde<unknown> | undefined,
      partitioner: opts.partitioner as StreamPartitioner<unknown, unknown> | undefined,
      parents: parentNames,
    });
    return this;
  }

  addStateStore<S extends StateStore>(builder: StoreBuilder<S>, ...processorNames: string[]): this {
    if (this.storeBuilders.has(builder.name())) throw new TopologyException(`A different StateStore has already been added with the name ${builder.name()}`);
    this.storeBuilders.set(builder.name(), builder);
    this.connectProcessorAndStateStores(processorNames, builder.name());
    return this;
  }

  /** A global store: fed from `topic` by `processor` on every instance, read-only to other processors. */
  addGlobalStore<S extends StateStore, K, V>(
    builder: StoreBuilder<S>,
    sourceName: string,
    source: { keySerde?: Serde<K>; valueSerde?: Serde<V>; timestampExtractor?: TimestampExtractor },
    topic: string,
    processorName: string,
    stateUpdateSupplier: ProcessorSupplier<K, V, never, never>,
  ): this {
    builder.withLoggingDisabled(); // the source topic is the global store's changelog
    this.addNode({ kind: "source", name: sourceName, topics: [topic], keySerde: source.keySerde as Serde<unknown>, valueSerde: source.valueSerde as Serde<unknown>, timestampExtractor: source.timestampExtractor, global: true });
    this.addNode({ kind: "processor", name: processorName, supplier: stateUpdateSupplier as ProcessorSupplier<unknown, unknown, unknown, unknown>, parents: [sourceName], stores: [builder.name()] });
    this.storeBuilders.set(builder.name(), builder);
    this.globalStoreNames.add(builder.name());
    return this;
  }

  connectProcessorAndStateStores(processorName: string | string[], ...storeNames: string[]): this {
    for (const p of Array.isArray(processorName) ? processorName : [processorName]) {
      const node = this.nodes.get(p);
      if (!node || node.kind !== "processor") throw new TopologyException(`Processor ${p} is not added yet.`);
      for (const s of storeNames) {
        if (!this.storeBuilders.has(s)) throw new TopologyException(`StateStore ${s} is not added yet.`);
        if (!node.stores.includes(s)) node.stores.push(s);
      }
    }
    return this;
  }

  /** Connected components (through parent edges and shared stores), numbered in insertion order. */
  subtopologies(): Array<{ id: number; nodes: string[]; global: boolean }> {
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    const unite = (a: string, b: string): void => {
      parent.set(find(a), find(b));
    };
    for (const n of this.nodes.keys()) parent.set(n, n);
    const storeUser = new Map<string, string>();
    for (const n of this.nodes.values()) {
      if (n.kind !== "source") for (const p of n.parents) unite(n.name, p);
      if (n.kind === "processor") {
        for (const s of n.stores) {
          const other = storeUser.get(s);
          if (other && !this.globalStoreNames.has(s)) unite(n.name, other);
          else if (!other) storeUser.set(s, n.name);
        }
      }
    }
    const groups = new Map<string, { id: number; nodes: string[]; global: boolean }>();
    let id = 0;
    for (const n of this.nodes.values()) {
      const root = find(n.name);
      let g = groups.get(root);
      if (!g) {
        g = { id: id++, nodes: [], global: false };
        groups.set(root, g);
      }
      g.nodes.push(n.name);
      if (n.kind === "source" && n.global) g.global = true;
    }
    return [...groups.values()];
  }

  children(name: string): string[] {
    const out: string[] = [];
    for (const n of this.nodes.values()) if (n.kind !== "source" && n.parents.includes(name)) out.push(n.name);
    return out;
  }

  describe(): TopologyDescription {
    const subs: SubtopologyDescription[] = [];
    const globals: GlobalStoreDescription[] = [];
    for (const g of this.subtopologies()) {
      const descs = g.nodes.map((name): NodeDescription => {
        const n = this.nodes.get(name)!;
        return {
          kind: n.kind,
          name,
          topics: n.kind === "source" ? n.topics : undefined,
          topicPattern: n.kind === "source" && n.pattern ? n.pattern.source : undefined,
          topic: n.kind === "sink" ? n.topic : undefined,
          extractorName: n.kind === "sink" && n.extractor ? n.extractor.name || "TopicNameExtractor" : undefined,
          stores: n.kind === "processor" ? [...n.stores] : [],
          predecessors: n.kind === "source" ? [] : [...n.parents],
          successors: this.children(name),
        };
      });
      if (g.global) {
        globals.push({ id: g.id, source: descs.find((d) => d.kind === "source")!, processor: descs.find((d) => d.kind === "processor")! });
      } else {
        subs.push({ id: g.id, nodes: sortNodes(descs) });
      }
    }
    return new TopologyDescription(subs, globals);
  }
}
