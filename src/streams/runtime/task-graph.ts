/**
 * Runs a Topology's processors in-process: deserialize at sources, forward depth-first through the
 * graph, serialize at sinks into a RecordCollector, keep stream time and fire punctuators. The test
 * driver runs one of these for the whole topology; the broker runtime will run one per task.
 */
import { PunctuationQueue } from "./punctuation-queue.ts";
import { PunctuationType, Record, supply } from "../processor.ts";
import type { Cancellable, Headers, Processor, ProcessorContext, Punctuator, RecordMetadata, TaskId } from "../processor.ts";
import type { Serde } from "../serdes.ts";
import type { StateStore, StateStoreContext } from "../state/state-store.ts";
import type { ThreadCache } from "../state/thread-cache.ts";
import { readOnlyStore, UnsupportedOperationException } from "../state/read-only-store.ts";
import type { SinkDef, SourceDef, Topology } from "../topology.ts";

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  timestamp: number;
  headers: Headers;
  partition?: number;
  offset?: number;
}
export interface RecordCollector {
  send(topic: string, record: RawRecord): void;
  /** Partition count of a sink topic, for custom StreamPartitioners (the test driver has one). */
  partitionsFor?(topic: string): number;
}
export interface TaskConfig {
  applicationId: string;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  appConfigs: { [key: string]: unknown };
  /** state.dir for persistent stores. */
  stateDir?: string;
  /** The broker runtime runs one graph per task: only these nodes (one sub-topology) and their stores. */
  nodes?: string[];
  /** Directory of this task's persistent stores. */
  taskDir?: string;
  /** Decides what a record that fails to deserialize does; absent = fail. */
  onDeserializationError?: (topic: string, raw: RawRecord, error: Error) => "continue" | "fail";
  /** Wall clock (injected so tests drive it). */
  now: () => number;
  /** The instance's record cache (statestore.cache.max.bytes); absent = stores write through. */
  cache?: ThreadCache;
  /**
   * A stream task's view of the instance's global stores (the global thread owns them): set, global
   * stores are not built here and `getStateStore` hands them out read-only, as Kafka. Absent (the test
   * driver, the global task itself), the graph builds and owns them.
   */
  globalStores?: (name: string) => StateStore | undefined;
  /** The global task (Kafka's GlobalProcessorContextImpl): nothing drives punctuation, so schedule() is refused. */
  global?: boolean;
}

interface NodeRuntime {
  name: string;
  processor?: Processor<unknown, unknown, unknown, unknown>;
  children: string[];
  context: ProcessorContext<unknown, unknown>;
}

/** recordMetadata() of the record being processed (one small object per record, methods shared). */
class SourceRecordMetadata implements RecordMetadata {
  private readonly t: string;
  private readonly p: number;
  private readonly o: number;
  constructor(topic: string, partition: number, offset: number) {
    this.t = topic;
    this.p = partition;
    this.o = offset;
  }
  topic(): string { return this.t; }
  partition(): number { return this.p; }
  offset(): number { return this.o; }
}

export class TaskGraph {
  private readonly nodes = new Map<string, NodeRuntime>();
  private readonly stores = new Map<string, StateStore>();
  private readonly streamPunctuation = new PunctuationQueue();
  private readonly wallPunctuation = new PunctuationQueue();
  private streamTime = -1;
  private current: RecordMetadata | undefined;
  private currentTs = 0;
  private currentHeaders: Headers = [];
  private commitRequested = false;
  private readonly sourceByTopic = new Map<string, SourceDef | undefined>();
  private readonly readOnlyGlobals = new Map<string, StateStore>();

  private readonly topology: Topology;
  private readonly config: TaskConfig;
  private readonly collector: RecordCollector;
  private readonly taskId: TaskId;

  constructor(topology: Topology, config: TaskConfig, collector: RecordCollector, taskId: TaskId = { subtopology: 0, partition: 0 }) {
    this.topology = topology;
    this.config = config;
    this.collector = collector;
    this.taskId = taskId;
    const storeContext: StateStoreContext = {
      applicationId: () => config.applicationId,
      keySerde: () => config.defaultKeySerde,
      valueSerde: () => config.defaultValueSerde,
      stateDir: () => config.stateDir,
      taskDir: () => config.taskDir,
      cache: () => config.cache,
      recordContext: () => ({ timestamp: this.currentTs, headers: this.currentHeaders }),
    };
    const only = config.nodes ? new Set(config.nodes) : undefined;
    const used = new Set<string>();
    for (const def of topology.nodes.values()) if (def.kind === "processor" && (!only || only.has(def.name))) for (const st of def.stores) used.add(st);
    for (const [name, builder] of topology.storeBuilders) {
      if (only && !used.has(name)) continue;
      if (config.globalStores && topology.globalStoreNames.has(name)) continue;
      const store = builder.build();
      store.init(storeContext);
      this.stores.set(name, store);
    }
    for (const def of topology.nodes.values()) {
      if (only && !only.has(def.name)) continue;
      const rt: NodeRuntime = { name: def.name, children: topology.children(def.name), context: this.makeContext(def.name, def.kind === "processor" ? def.stores : []) };
      this.nodes.set(def.name, rt);
    }
    // Processors are initialised after every node exists so init() may forward or schedule.
    for (const def of topology.nodes.values()) {
      if (def.kind !== "processor" || (only && !only.has(def.name))) continue;
      const rt = this.nodes.get(def.name)!;
      rt.processor = supply(def.supplier);
      rt.processor.init?.(rt.context);
    }
  }

  /** Internal topics are prefixed with the application id at runtime, as in Kafka. */
  resolveTopic(topic: string): string {
    // Per record at every sink: one string per topic (a fresh string is hashed again at every Map lookup).
    let r = this.resolved.get(topic);
    if (r === undefined) {
      r = this.topology.internalTopics.has(topic) ? `${this.config.applicationId}-${topic}` : topic;
      this.resolved.set(topic, r);
    }
    return r;
  }
  private readonly resolved = new Map<string, string>();

  /** The source node reading `topic` (exact name, decorated internal name, or pattern). */
  sourceFor(topic: string): SourceDef | undefined {
    // Looked up per record: remember the answer per topic.
    if (this.sourceByTopic.has(topic)) return this.sourceByTopic.get(topic);
    const found = this.findSource(topic);
    this.sourceByTopic.set(topic, found);
    return found;
  }
  private findSource(topic: string): SourceDef | undefined {
    for (const def of this.topology.nodes.values()) {
      if (def.kind !== "source") continue;
      if (def.topics?.some((t) => this.resolveTopic(t) === topic)) return def;
      if (def.pattern && new RegExp(`^(?:${def.pattern.source})$`).test(topic)) return def;
    }
    return undefined;
  }

  isGlobalSource(topic: string): boolean {
    return this.sourceFor(topic)?.global === true;
  }

  process(topic: string, raw: RawRecord): void {
    const source = this.sourceFor(topic);
    if (!source) throw new Error(`Unknown topic: ${topic}`);
    const ks = source.keySerde ?? this.config.defaultKeySerde;
    const vs = source.valueSerde ?? this.config.defaultValueSerde;
    if (!ks || !vs) throw new Error(`No ${!ks ? "key" : "value"} serde for source ${source.name} (topic ${topic}): pass Consumed.with(…) or set default.${!ks ? "key" : "value"}.serde`);
    let key: unknown, value: unknown;
    try {
      key = ks.deserializer().deserialize(topic, raw.key);
      value = vs.deserializer().deserialize(topic, raw.value);
    } catch (e) {
      // Kafka's DeserializationExceptionHandler: CONTINUE skips the record, FAIL stops the task.
      if (this.config.onDeserializationError?.(topic, raw, e as Error) === "continue") return;
      throw e;
    }
    let ts = raw.timestamp;
    if (source.timestampExtractor) ts = source.timestampExtractor({ key, value, timestamp: raw.timestamp, topic }, this.streamTime);
    if (ts < 0) return; // Kafka drops records with invalid (negative) timestamps at the source.
    this.current = new SourceRecordMetadata(topic, raw.partition ?? 0, raw.offset ?? -1);
    if (!source.global) this.streamTime = Math.max(this.streamTime, ts);
    try {
      this.currentTs = ts;
      this.currentHeaders = raw.headers;
      this.forwardFrom(source.name, new Record(key, value, ts, raw.headers));
    } finally {
      this.current = undefined;
    }
    if (!source.global) this.streamPunctuation.mayPunctuate(this.streamTime, (n, p, t) => this.punctuate(n, p, t));
  }

  /** Fires wall-clock punctuators due at the (injected) current time. */
  punctuateWallClock(): boolean {
    return this.wallPunctuation.mayPunctuate(this.config.now(), (n, p, t) => this.punctuate(n, p, t));
  }

  getStateStore(name: string): StateStore | undefined {
    return this.stores.get(name);
  }
  stateStores(): Map<string, StateStore> {
    return this.stores;
  }
  /** Timestamp of the record being processed (changelog records carry it, as in Kafka). */
  currentRecordTimestamp(): number {
    return this.currentTs;
  }
  currentStreamTime(): number {
    return this.streamTime;
  }
  takeCommitRequest(): boolean {
    const r = this.commitRequested;
    this.commitRequested = false;
    return r;
  }

  close(): void {
    for (const n of this.nodes.values()) n.processor?.close?.();
    for (const s of this.stores.values()) s.close();
  }

  private punctuate(_node: string, p: Punctuator, t: number): void {
    p(t);
  }

  private forwardFrom(from: string, record: Record<unknown, unknown>, childName?: string): void {
    const node = this.nodes.get(from)!;
    const targets = childName === undefined ? node.children : node.children.filter((c) => c === childName);
    if (childName !== undefined && targets.length === 0) throw new Error(`Unknown downstream node: ${childName} either does not exist or is not connected to this processor.`);
    // The children run in the forwarded record's context (Kafka's forward sets it): what a cache flush
    // forwards at commit carries the cached write's timestamp and headers into downstream stores.
    const ts = this.currentTs;
    const headers = this.currentHeaders;
    this.currentTs = record.timestamp();
    this.currentHeaders = record.headers();
    try {
      for (const c of targets) this.deliver(c, record);
    } finally {
      this.currentTs = ts;
      this.currentHeaders = headers;
    }
  }

  private deliver(name: string, record: Record<unknown, unknown>): void {
    const def = this.topology.nodes.get(name)!;
    if (def.kind === "sink") return this.sink(def, record);
    const rt = this.nodes.get(name)!;
    rt.processor!.process(record);
  }

  private sink(def: SinkDef, record: Record<unknown, unknown>): void {
    const ctx = { topic: this.current?.topic(), timestamp: record.timestamp() };
    const topic = this.resolveTopic(def.topic ?? def.extractor!(record.key(), record.value(), ctx));
    const ks = def.keySerde ?? this.config.defaultKeySerde;
    const vs = def.valueSerde ?? this.config.defaultValueSerde;
    if (!ks || !vs) throw new Error(`No ${!ks ? "key" : "value"} serde for sink ${def.name} (topic ${topic}): pass Produced.with(…) or set default.${!ks ? "key" : "value"}.serde`);
    const partition = def.partitioner?.(topic, record.key(), record.value(), this.collector.partitionsFor?.(topic) ?? 1);
    this.collector.send(topic, {
      key: ks.serializer().serialize(topic, record.key()),
      value: vs.serializer().serialize(topic, record.value()),
      timestamp: record.timestamp(),
      headers: record.headers(),
      partition,
    });
  }

  private makeContext(nodeName: string, storeNames: string[]): ProcessorContext<unknown, unknown> {
    const graph = this;
    return {
      applicationId: () => graph.config.applicationId,
      taskId: () => graph.taskId,
      recordMetadata: () => graph.current,
      keySerde: () => graph.config.defaultKeySerde,
      valueSerde: () => graph.config.defaultValueSerde,
      appConfigs: () => graph.config.appConfigs,
      forward: (record, childName) => graph.forwardFrom(nodeName, record as Record<unknown, unknown>, childName),
      getStateStore: <S extends StateStore>(name: string): S => {
        const global = graph.topology.globalStoreNames.has(name);
        if (global && graph.config.globalStores) {
          // Looked up per record (a join): one wrapper per store, made on first use.
          let view = graph.readOnlyGlobals.get(name);
          if (!view) {
            const store = graph.config.globalStores(name);
            if (!store) throw new Error(`Global state store ${name} is not available on this instance`);
            view = readOnlyStore(store);
            graph.readOnlyGlobals.set(name, view);
          }
          return view as S;
        }
        if (!global && !storeNames.includes(name)) {
          throw new Error(`Processor ${nodeName} has no access to StateStore ${name} as the store is not connected to the processor. If you add stores manually via '.addStateStore()' make sure to connect the added store to the processor by providing the processor name to '.addStateStore()' or connect them via '.connectProcessorAndStateStores()'.`);
        }
        return graph.stores.get(name) as S;
      },
      schedule: (interval: number, type: PunctuationType, cb: Punctuator): Cancellable => {
        if (graph.config.global) throw new UnsupportedOperationException("this should not happen: schedule() not supported in global processor context.");
        return type === PunctuationType.STREAM_TIME
          ? graph.streamPunctuation.schedule(nodeName, 0, interval, cb)
          : graph.wallPunctuation.schedule(nodeName, graph.config.now() + interval, interval, cb);
      },
      currentStreamTimeMs: () => graph.streamTime,
      currentSystemTimeMs: () => graph.config.now(),
      commit: () => {
        graph.commitRequested = true;
      },
    };
  }
}
