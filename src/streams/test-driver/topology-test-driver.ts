/**
 * TopologyTestDriver (Kafka's name and API): runs a Topology without a broker. Records written to the
 * topology's own repartition topics are fed back in, in order, as a broker would deliver them; wall-clock
 * time only moves when the test advances it.
 */
import { TaskGraph } from "../runtime/task-graph.ts";
import type { RawRecord } from "../runtime/task-graph.ts";
import type { Serde } from "../serdes.ts";
import type { KeyValueStore, SessionStore, StateStore, TimestampedKeyValueStore, ValueAndTimestamp, WindowStore } from "../state/state-store.ts";
import { TimestampedKeyValueStoreImpl } from "../state/typed-stores.ts";
import { TimestampedWindowStoreImpl } from "../state/typed-window-stores.ts";
import type { Topology } from "../topology.ts";
import { TestInputTopic, TestOutputTopic } from "./test-topics.ts";
import type { DeserializerLike, SerializerLike } from "./test-topics.ts";

export interface TestDriverConfig {
  "application.id"?: string;
  "default.key.serde"?: Serde<unknown>;
  "default.value.serde"?: Serde<unknown>;
  /** Directory for persistent (node:sqlite) stores. */
  "state.dir"?: string;
  [key: string]: unknown;
}

export class TopologyTestDriver {
  private readonly graph: TaskGraph;
  private readonly outputs = new Map<string, RawRecord[]>();
  private readonly internalQueue: Array<{ topic: string; record: RawRecord }> = [];
  private wallClockMs: number;
  private readonly offsets = new Map<string, number>();
  private readonly everWritten = new Set<string>();
  private closed = false;

  constructor(topology: Topology, config: TestDriverConfig = {}, initialWallClockTimeMs = 0) {
    this.wallClockMs = initialWallClockTimeMs;
    const applicationId = (config["application.id"] as string | undefined) ?? "dummy-topology-test-driver-app-id";
    this.graph = new TaskGraph(
      topology,
      {
        applicationId,
        defaultKeySerde: config["default.key.serde"],
        defaultValueSerde: config["default.value.serde"],
        appConfigs: { ...config, "application.id": applicationId },
        stateDir: config["state.dir"] as string | undefined,
        now: () => this.wallClockMs,
      },
      {
        send: (topic, record) => {
          let q = this.outputs.get(topic);
          if (!q) this.outputs.set(topic, (q = []));
          q.push(record);
          this.everWritten.add(topic);
          // A record for a topic the topology itself reads (repartition) is consumed again.
          if (this.graph.sourceFor(topic)) this.internalQueue.push({ topic, record });
        },
      },
    );
  }

  createInputTopic<K, V>(topic: string, keySerializer: SerializerLike<K>, valueSerializer: SerializerLike<V>, startTimestampMs?: number, autoAdvanceMs = 0): TestInputTopic<K, V> {
    if (!this.graph.sourceFor(topic)) throw new Error(`Unknown topic: ${topic}`);
    return new TestInputTopic(topic, keySerializer, valueSerializer, (t, r) => this.pipe(t, r), startTimestampMs ?? this.wallClockMs, autoAdvanceMs);
  }

  createOutputTopic<K, V>(topic: string, keyDeserializer: DeserializerLike<K>, valueDeserializer: DeserializerLike<V>): TestOutputTopic<K, V> {
    let q = this.outputs.get(topic);
    if (!q) this.outputs.set(topic, (q = []));
    return new TestOutputTopic(topic, keyDeserializer, valueDeserializer, q);
  }

  /** Names of every topic the topology has written to so far (sinks and repartition topics). */
  producedTopicNames(): Set<string> {
    return new Set(this.everWritten);
  }

  private pipe(topic: string, record: RawRecord): void {
    if (this.closed) throw new Error("TopologyTestDriver is closed");
    const offset = this.offsets.get(topic) ?? 0;
    this.offsets.set(topic, offset + 1);
    this.graph.process(topic, { ...record, partition: 0, offset });
    this.drainInternal();
  }

  private drainInternal(): void {
    while (this.internalQueue.length > 0) {
      const { topic, record } = this.internalQueue.shift()!;
      // The record was read back by the topology; it stays visible on the output side too, as in Kafka.
      const offset = this.offsets.get(topic) ?? 0;
      this.offsets.set(topic, offset + 1);
      this.graph.process(topic, { ...record, partition: 0, offset });
    }
  }

  /** Move wall-clock time forward and fire the wall-clock punctuators that come due. */
  advanceWallClockTime(advanceMs: number): void {
    if (advanceMs < 0) throw new Error("advance must be positive");
    this.wallClockMs += advanceMs;
    this.graph.punctuateWallClock();
    this.drainInternal();
  }

  getAllStateStores(): Map<string, StateStore> {
    return new Map(this.graph.stateStores());
  }
  getStateStore<S extends StateStore>(name: string): S | null {
    return (this.graph.getStateStore(name) as S | undefined) ?? null;
  }

  /** A plain key-value view; for the DSL's timestamped stores the timestamps are hidden, as in Kafka. */
  getKeyValueStore<K, V>(name: string): KeyValueStore<K, V> | null {
    const s = this.graph.getStateStore(name);
    if (!s) return null;
    if (s instanceof TimestampedKeyValueStoreImpl) return valueOnlyView(s as TimestampedKeyValueStore<K, V>);
    if (!("get" in s) || !("range" in s)) return null;
    return s as unknown as KeyValueStore<K, V>;
  }
  getTimestampedKeyValueStore<K, V>(name: string): TimestampedKeyValueStore<K, V> | null {
    const s = this.graph.getStateStore(name);
    return s instanceof TimestampedKeyValueStoreImpl ? (s as TimestampedKeyValueStore<K, V>) : null;
  }
  getWindowStore<K, V>(name: string): WindowStore<K, V> | null {
    const s = this.graph.getStateStore(name);
    if (!s || !("fetchRange" in s)) return null;
    if (s instanceof TimestampedWindowStoreImpl) return windowValueOnlyView(s as WindowStore<K, ValueAndTimestamp<V>>);
    return s as unknown as WindowStore<K, V>;
  }
  getTimestampedWindowStore<K, V>(name: string): WindowStore<K, ValueAndTimestamp<V>> | null {
    const s = this.graph.getStateStore(name);
    return s instanceof TimestampedWindowStoreImpl ? (s as WindowStore<K, ValueAndTimestamp<V>>) : null;
  }
  getSessionStore<K, V>(name: string): SessionStore<K, V> | null {
    const s = this.graph.getStateStore(name);
    return s && "findSessions" in s ? (s as unknown as SessionStore<K, V>) : null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.graph.close();
  }
}

function valueOnlyView<K, V>(s: TimestampedKeyValueStore<K, V>): KeyValueStore<K, V> {
  const strip = (e: { key: K; value: ValueAndTimestamp<V> }): { key: K; value: V } => ({ key: e.key, value: e.value.value });
  return {
    name: () => s.name(),
    init: (c) => s.init(c),
    persistent: () => s.persistent(),
    isOpen: () => s.isOpen(),
    flush: () => s.flush(),
    close: () => s.close(),
    get: (k) => s.get(k)?.value ?? null,
    put: (k, v) => s.put(k, v === null ? null : { value: v, timestamp: -1 }),
    putIfAbsent: (k, v) => s.putIfAbsent(k, { value: v, timestamp: -1 })?.value ?? null,
    putAll: (es) => es.forEach((e) => s.put(e.key, { value: e.value, timestamp: -1 })),
    delete: (k) => s.delete(k)?.value ?? null,
    range: (a, b) => s.range(a, b).map(strip),
    all: () => s.all().map(strip),
    approximateNumEntries: () => s.approximateNumEntries(),
  };
}

function windowValueOnlyView<K, V>(s: WindowStore<K, ValueAndTimestamp<V>>): WindowStore<K, V> {
  return {
    name: () => s.name(),
    init: (c) => s.init(c),
    persistent: () => s.persistent(),
    isOpen: () => s.isOpen(),
    flush: () => s.flush(),
    close: () => s.close(),
    put: (k, v, t) => s.put(k, v === null ? null : { value: v, timestamp: t }, t),
    fetch: (k, t) => s.fetch(k, t)?.value ?? null,
    fetchRange: (k, a, b) => s.fetchRange(k, a, b).map((e) => ({ key: e.key, value: e.value.value })),
    fetchAll: (a, b) => s.fetchAll(a, b).map((e) => ({ key: e.key, value: e.value.value })),
    all: () => s.all().map((e) => ({ key: e.key, value: e.value.value })),
  };
}
