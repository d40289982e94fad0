/** StreamsBuilder: the DSL's entry point (Kafka's StreamsBuilder); build() hands back the Topology. */
import { Consumed } from "./dsl-options.ts";
import type { Materialized } from "./dsl-options.ts";
import { InternalStreamsBuilder } from "./internal-builder.ts";
import { KStream, SOURCE_NAME } from "./kstream.ts";
import { KTable } from "./ktable.ts";
import type { TableStoreInfo } from "./ktable.ts";
import { keyValueStore, storeNameFor } from "./materialize.ts";
import type { ProcessorSupplier } from "./processor.ts";
import { tableSource } from "./processors/aggregate.ts";
import type { Serde } from "./serdes.ts";
import type { StateStore, StoreBuilder, TimestampedKeyValueStore } from "./state/state-store.ts";
import type { Topology } from "./topology.ts";

/** A table replicated in full on every instance, fed from its topic; joined by a key mapper. */
export class GlobalKTable<K, V> {
  /** @internal */ readonly storeName: string;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  private readonly queryable: boolean;
  constructor(storeName: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, queryable: boolean) {
    this.storeName = storeName;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.queryable = queryable;
  }
  queryableStoreName(): string | null {
    return this.queryable ? this.storeName : null;
  }
}

export class StreamsBuilder {
  /** @internal */ readonly internal = new InternalStreamsBuilder();
  private built = false;

  stream<K, V>(topics: string | string[] | RegExp, consumed: Consumed<K, V> = Consumed.with()): KStream<K, V> {
    const list = topics instanceof RegExp ? [topics] : Array.isArray(topics) ? topics : [topics];
    if (list.length === 0) throw new Error("topics can't be empty");
    const name = consumed.processorName ?? this.internal.newProcessorName(SOURCE_NAME);
    this.internal.topology.addSource({ name, keySerde: consumed.keySerde as Serde<unknown>, valueSerde: consumed.valueSerde as Serde<unknown>, timestampExtractor: consumed.timestampExtractor, offsetReset: consumed.offsetReset }, ...list);
    return new KStream<K, V>(this.internal, name, consumed.keySerde, consumed.valueSerde, false);
  }

  table<K, V>(topic: string, consumed: Consumed<K, V> = Consumed.with(), materialized?: Materialized<K, V>): KTable<K, V> {
    const store = storeNameFor(this.internal, materialized as Materialized<unknown, unknown> | undefined, `${topic}-`);
    const sourceName = consumed.processorName ?? this.internal.newProcessorName(SOURCE_NAME);
    const tableName = this.internal.newProcessorName("KTABLE-SOURCE-");
    const ks = materialized?.keySerde ?? consumed.keySerde;
    const vs = materialized?.valueSerde ?? consumed.valueSerde;
    const t = this.internal.topology;
    t.addSource({ name: sourceName, keySerde: consumed.keySerde as Serde<unknown>, valueSerde: consumed.valueSerde as Serde<unknown>, timestampExtractor: consumed.timestampExtractor, offsetReset: consumed.offsetReset }, topic);
    let materializedNow = false;
    t.addProcessor(tableName, tableSource<K, V>(store.name, () => materializedNow), sourceName);
    const materialize = (): TableStoreInfo => {
      const ms = keyValueStore(store, materialized, ks, vs);
      t.addStateStore(ms.builder, tableName);
      materializedNow = true;
      return { storeName: ms.storeName, queryable: ms.queryable };
    };
    // Kafka materializes a source table only when named or when something reads it by key (a join).
    const info = store.queryable ? materialize() : undefined;
    return new KTable<K, V>(this.internal, tableName, ks, vs, info, undefined, undefined, materialize);
  }

  globalTable<K, V>(topic: string, consumed: Consumed<K, V> = Consumed.with(), materialized?: Materialized<K, V>): GlobalKTable<K, V> {
    const store = storeNameFor(this.internal, materialized as Materialized<unknown, unknown> | undefined, `${topic}-`);
    const sourceName = consumed.processorName ?? this.internal.newProcessorName(SOURCE_NAME);
    const tableName = this.internal.newProcessorName("KTABLE-SOURCE-");
    const ks = materialized?.keySerde ?? consumed.keySerde;
    const vs = materialized?.valueSerde ?? consumed.valueSerde;
    const ms = keyValueStore(store, materialized, ks, vs);
    this.internal.topology.addGlobalStore(ms.builder, sourceName, { keySerde: consumed.keySerde, valueSerde: consumed.valueSerde, timestampExtractor: consumed.timestampExtractor }, topic, tableName, tableSource<K, V>(ms.storeName, () => true) as ProcessorSupplier<K, V, never, never>);
    return new GlobalKTable<K, V>(ms.storeName, ks, vs, store.queryable);
  }

  addStateStore<S extends StateStore>(builder: StoreBuilder<S>): this {
    this.internal.topology.addStateStore(builder);
    return this;
  }

  addGlobalStore<K, V>(builder: StoreBuilder<TimestampedKeyValueStore<K, V>> | StoreBuilder<StateStore>, topic: string, consumed: Consumed<K, V>, stateUpdateSupplier: ProcessorSupplier<K, V, never, never>): this {
    const sourceName = consumed.processorName ?? this.internal.newProcessorName(SOURCE_NAME);
    const processorName = this.internal.newProcessorName("KTABLE-SOURCE-");
    this.internal.topology.addGlobalStore(builder as StoreBuilder<StateStore>, sourceName, { keySerde: consumed.keySerde, valueSerde: consumed.valueSerde, timestampExtractor: consumed.timestampExtractor }, topic, processorName, stateUpdateSupplier);
    return this;
  }

  build(): Topology {
    this.built = true;
    return this.internal.topology;
  }

  /** @internal */
  isBuilt(): boolean {
    return this.built;
  }
}
