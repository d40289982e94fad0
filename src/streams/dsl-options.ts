/**
 * The DSL's option objects with Kafka's names and builder methods: Consumed, Produced, Grouped,
 * Materialized, Joined, StreamJoined, Repartitioned, Printed, Named, Branched. Immutable: each with*
 * returns a copy, so one base object can be reused.
 */
import type { Serde } from "./serdes.ts";
import type { AutoOffsetReset, StreamPartitioner, TimestampExtractor } from "./topology.ts";
import type { KeyValueBytesStoreSupplier, SessionBytesStoreSupplier, WindowBytesStoreSupplier } from "./state/stores.ts";

function copy<T extends object>(o: T, patch: { [P in keyof T]?: unknown }): T {
  return Object.assign(Object.create(Object.getPrototypeOf(o)) as T, o, patch);
}

export class Named {
  readonly name?: string;
  private constructor(name?: string) { this.name = name; }
  static as(name: string): Named {
    if (!name) throw new Error("Name cannot be null or empty");
    return new Named(name);
  }
}

export class Consumed<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  timestampExtractor?: TimestampExtractor;
  offsetReset?: AutoOffsetReset;
  processorName?: string;
  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>, timestampExtractor?: TimestampExtractor, offsetReset?: AutoOffsetReset): Consumed<K, V> {
    return copy(new Consumed<K, V>(), { keySerde, valueSerde, timestampExtractor, offsetReset });
  }
  static as<K, V>(processorName: string): Consumed<K, V> { return copy(new Consumed<K, V>(), { processorName }); }
  withKeySerde(s: Serde<K>): Consumed<K, V> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Consumed<K, V> { return copy(this, { valueSerde: s }); }
  withTimestampExtractor(t: TimestampExtractor): Consumed<K, V> { return copy(this, { timestampExtractor: t }); }
  withOffsetResetPolicy(r: AutoOffsetReset): Consumed<K, V> { return copy(this, { offsetReset: r }); }
  withName(processorName: string): Consumed<K, V> { return copy(this, { processorName }); }
}

export class Produced<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  partitioner?: StreamPartitioner<K, V>;
  processorName?: string;
  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>, partitioner?: StreamPartitioner<K, V>): Produced<K, V> {
    return copy(new Produced<K, V>(), { keySerde, valueSerde, partitioner });
  }
  static as<K, V>(processorName: string): Produced<K, V> { return copy(new Produced<K, V>(), { processorName }); }
  static keySerde<K, V>(s: Serde<K>): Produced<K, V> { return Produced.with<K, V>(s); }
  static valueSerde<K, V>(s: Serde<V>): Produced<K, V> { return Produced.with<K, V>(undefined, s); }
  withKeySerde(s: Serde<K>): Produced<K, V> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Produced<K, V> { return copy(this, { valueSerde: s }); }
  withStreamPartitioner(p: StreamPartitioner<K, V>): Produced<K, V> { return copy(this, { partitioner: p }); }
  withName(processorName: string): Produced<K, V> { return copy(this, { processorName }); }
}

export class Grouped<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  name?: string;
  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Grouped<K, V>;
  static with<K, V>(name: string, keySerde?: Serde<K>, valueSerde?: Serde<V>): Grouped<K, V>;
  static with<K, V>(a?: string | Serde<K>, b?: Serde<K> | Serde<V>, c?: Serde<V>): Grouped<K, V> {
    if (typeof a === "string") return copy(new Grouped<K, V>(), { name: a, keySerde: b as Serde<K>, valueSerde: c });
    return copy(new Grouped<K, V>(), { keySerde: a, valueSerde: b as Serde<V> });
  }
  static as<K, V>(name: string): Grouped<K, V> { return copy(new Grouped<K, V>(), { name }); }
  static keySerde<K, V>(s: Serde<K>): Grouped<K, V> { return Grouped.with<K, V>(s); }
  static valueSerde<K, V>(s: Serde<V>): Grouped<K, V> { return Grouped.with<K, V>(undefined, s); }
  withName(name: string): Grouped<K, V> { return copy(this, { name }); }
  withKeySerde(s: Serde<K>): Grouped<K, V> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Grouped<K, V> { return copy(this, { valueSerde: s }); }
}

export type StoreSupplier = KeyValueBytesStoreSupplier | WindowBytesStoreSupplier | SessionBytesStoreSupplier;

export class Materialized<K, V> {
  storeName?: string;
  storeSupplier?: StoreSupplier;
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  loggingEnabled = true;
  topicConfig: { [key: string]: string } = {};
  cachingEnabled = true;
  retentionMs?: number;
  static as<K, V>(storeNameOrSupplier: string | StoreSupplier): Materialized<K, V> {
    if (typeof storeNameOrSupplier === "string") {
      if (!/^[a-zA-Z0-9._-]+$/.test(storeNameOrSupplier) || storeNameOrSupplier.length > 249) {
        throw new Error(`Name "${storeNameOrSupplier}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
      }
      return copy(new Materialized<K, V>(), { storeName: storeNameOrSupplier });
    }
    return copy(new Materialized<K, V>(), { storeName: storeNameOrSupplier.name, storeSupplier: storeNameOrSupplier });
  }
  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Materialized<K, V> {
    return copy(new Materialized<K, V>(), { keySerde, valueSerde });
  }
  withKeySerde(s: Serde<K>): Materialized<K, V> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Materialized<K, V> { return copy(this, { valueSerde: s }); }
  withLoggingEnabled(config: { [key: string]: string }): Materialized<K, V> { return copy(this, { loggingEnabled: true, topicConfig: { ...config } }); }
  withLoggingDisabled(): Materialized<K, V> { return copy(this, { loggingEnabled: false }); }
  withCachingEnabled(): Materialized<K, V> { return copy(this, { cachingEnabled: true }); }
  withCachingDisabled(): Materialized<K, V> { return copy(this, { cachingEnabled: false }); }
  withRetention(retentionMs: number): Materialized<K, V> {
    if (retentionMs < 0) throw new Error("Retention must not be negative.");
    return copy(this, { retentionMs });
  }
}

export class Joined<K, V, VO> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
  name?: string;
  gracePeriodMs?: number;
  static with<K, V, VO>(keySerde?: Serde<K>, valueSerde?: Serde<V>, otherValueSerde?: Serde<VO>, name?: string): Joined<K, V, VO> {
    return copy(new Joined<K, V, VO>(), { keySerde, valueSerde, otherValueSerde, name });
  }
  static as<K, V, VO>(name: string): Joined<K, V, VO> { return copy(new Joined<K, V, VO>(), { name }); }
  withName(name: string): Joined<K, V, VO> { return copy(this, { name }); }
  withKeySerde(s: Serde<K>): Joined<K, V, VO> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Joined<K, V, VO> { return copy(this, { valueSerde: s }); }
  withOtherValueSerde(s: Serde<VO>): Joined<K, V, VO> { return copy(this, { otherValueSerde: s }); }
  withGracePeriod(ms: number): Joined<K, V, VO> { return copy(this, { gracePeriodMs: ms }); }
}

export class StreamJoined<K, V, VO> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  otherValueSerde?: Serde<VO>;
  name?: string;
  storeName?: string;
  loggingEnabled = true;
  static with<K, V, VO>(keySerde?: Serde<K>, valueSerde?: Serde<V>, otherValueSerde?: Serde<VO>): StreamJoined<K, V, VO> {
    return copy(new StreamJoined<K, V, VO>(), { keySerde, valueSerde, otherValueSerde });
  }
  static as<K, V, VO>(storeName: string): StreamJoined<K, V, VO> { return copy(new StreamJoined<K, V, VO>(), { storeName }); }
  withName(name: string): StreamJoined<K, V, VO> { return copy(this, { name }); }
  withStoreName(storeName: string): StreamJoined<K, V, VO> { return copy(this, { storeName }); }
  withKeySerde(s: Serde<K>): StreamJoined<K, V, VO> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): StreamJoined<K, V, VO> { return copy(this, { valueSerde: s }); }
  withOtherValueSerde(s: Serde<VO>): StreamJoined<K, V, VO> { return copy(this, { otherValueSerde: s }); }
  withLoggingDisabled(): StreamJoined<K, V, VO> { return copy(this, { loggingEnabled: false }); }
}

export class Repartitioned<K, V> {
  keySerde?: Serde<K>;
  valueSerde?: Serde<V>;
  name?: string;
  numberOfPartitions?: number;
  partitioner?: StreamPartitioner<K, V>;
  static with<K, V>(keySerde?: Serde<K>, valueSerde?: Serde<V>): Repartitioned<K, V> { return copy(new Repartitioned<K, V>(), { keySerde, valueSerde }); }
  static as<K, V>(name: string): Repartitioned<K, V> { return copy(new Repartitioned<K, V>(), { name }); }
  static numberOfPartitions<K, V>(n: number): Repartitioned<K, V> { return new Repartitioned<K, V>().withNumberOfPartitions(n); }
  static streamPartitioner<K, V>(p: StreamPartitioner<K, V>): Repartitioned<K, V> { return copy(new Repartitioned<K, V>(), { partitioner: p }); }
  withName(name: string): Repartitioned<K, V> { return copy(this, { name }); }
  withKeySerde(s: Serde<K>): Repartitioned<K, V> { return copy(this, { keySerde: s }); }
  withValueSerde(s: Serde<V>): Repartitioned<K, V> { return copy(this, { valueSerde: s }); }
  withNumberOfPartitions(n: number): Repartitioned<K, V> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`Number of partitions must be a positive integer (got ${n})`);
    return copy(this, { numberOfPartitions: n });
  }
  withStreamPartitioner(p: StreamPartitioner<K, V>): Repartitioned<K, V> { return copy(this, { partitioner: p }); }
}

/** print(): "[label]: key, value" lines to stdout or a file, as Kafka's KStreamPrint. */
export class Printed<K, V> {
  label?: string;
  mapper: (key: K, value: V) => string = (k, v) => `${String(k)}, ${String(v)}`;
  filePath?: string;
  static toSysOut<K, V>(): Printed<K, V> { return new Printed<K, V>(); }
  static toFile<K, V>(filePath: string): Printed<K, V> {
    if (!filePath) throw new Error("filePath can't be an empty string");
    return copy(new Printed<K, V>(), { filePath });
  }
  withLabel(label: string): Printed<K, V> { return copy(this, { label }); }
  withKeyValueMapper(mapper: (key: K, value: V) => string): Printed<K, V> { return copy(this, { mapper }); }
}
