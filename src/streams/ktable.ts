/**
 * KTable: a changelog stream (Kafka's KTable/KTableImpl). Processors exchange Change values (new and
 * old); a table can be read by key through its store or, when not materialized, its parent's.
 */
import type { Grouped, Materialized, Named } from "./dsl-options.ts";
import { Change, fnProcessor } from "./internal-builder.ts";
import type { InternalStreamsBuilder } from "./internal-builder.ts";
import { applyValueMapper } from "./key-value.ts";
import type { KeyValue, ValueMapper } from "./key-value.ts";
import { KStream } from "./kstream.ts";
import { keyValueStore, storeNameFor } from "./materialize.ts";
import { Record } from "./processor.ts";
import type { ProcessorContext } from "./processor.ts";
import { suppressProcessor } from "./processors/windowed-aggregate.ts";
import { suppressBufferBuilder } from "./processors/suppress-buffer.ts";
import type { Serde } from "./serdes.ts";
import type { TimestampedKeyValueStore, ValueAndTimestamp } from "./state/state-store.ts";
import type { Suppressed } from "./suppressed.ts";
import { Windowed } from "./windows.ts";
import { KGroupedTable } from "./kgrouped-table.ts";
import { tableTableJoin } from "./table-joins.ts";

export interface TableStoreInfo {
  storeName: string;
  queryable: boolean;
  windowed?: boolean;
}

/** Reads a table's current value by key (Kafka's KTableValueGetter). */
export type ValueGetter<K, V> = (key: K) => ValueAndTimestamp<V> | null;
export interface ValueGetterSupplier<K, V> {
  stores: string[];
  get(ctx: ProcessorContext<unknown, unknown>): ValueGetter<K, V>;
}

export class KTable<K, V> {
  /** @internal */ readonly builder: InternalStreamsBuilder;
  /** @internal */ readonly name: string;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** @internal */ store: TableStoreInfo | undefined;
  /** @internal grace of the windows this table aggregates, for suppress(untilWindowCloses). */
  readonly windowGraceMs: number | undefined;
  /** @internal how to read by key when this table has no store of its own. */
  readonly parentGetter: (() => ValueGetterSupplier<K, V>) | undefined;
  /** @internal a source table materializes lazily (only when a join or a query needs it). */
  readonly materializeLazily: (() => TableStoreInfo) | undefined;

  constructor(
    builder: InternalStreamsBuilder,
    name: string,
    keySerde: Serde<K> | undefined,
    valueSerde: Serde<V> | undefined,
    store: TableStoreInfo | undefined,
    windowGraceMs?: number,
    parentGetter?: () => ValueGetterSupplier<K, V>,
    materializeLazily?: () => TableStoreInfo,
  ) {
    this.builder = builder;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.store = store;
    this.windowGraceMs = windowGraceMs;
    this.parentGetter = parentGetter;
    this.materializeLazily = materializeLazily;
  }

  queryableStoreName(): string | null {
    return this.store?.queryable ? this.store.storeName : null;
  }

  /** @internal */
  valueGetterSupplier(): ValueGetterSupplier<K, V> {
    if (!this.store && this.materializeLazily) this.store = this.materializeLazily();
    if (this.store) {
      const storeName = this.store.storeName;
      if (this.store.windowed) throw new Error(`A windowed KTable (store ${storeName}) cannot be joined or read by key yet`);
      return { stores: [storeName], get: (ctx) => { const s = ctx.getStateStore<TimestampedKeyValueStore<K, V>>(storeName); return (k) => s.get(k); } };
    }
    if (this.parentGetter) return this.parentGetter();
    throw new Error(`KTable ${this.name} cannot be read by key`);
  }

  /** filter/mapValues: optional materialization into a store of their own. */
  private derive<VR>(
    prefix: string,
    named: Named | undefined,
    materialized: Materialized<K, VR> | undefined,
    compute: (key: K, value: V | null) => VR | null,
    valueSerde: Serde<VR> | undefined,
  ): KTable<K, VR> {
    const store = materialized ? storeNameFor(this.builder, materialized as Materialized<unknown, unknown>, prefix) : undefined;
    const name = named?.name ?? this.builder.newProcessorName(prefix);
    const storeName = store?.name;
    this.builder.topology.addProcessor(name, fnProcessor<K, Change<V>, K, Change<VR>>((ctx, r) => {
      const nv = r.value().newValue === null ? null : compute(r.key(), r.value().newValue);
      const ov = r.value().oldValue === null ? null : compute(r.key(), r.value().oldValue);
      if (nv === null && ov === null) return; // nothing visible changed for this key
      if (storeName) {
        ctx.getStateStore<TimestampedKeyValueStore<K, VR>>(storeName).put(r.key(), nv === null ? null : { value: nv, timestamp: r.timestamp() });
      }
      ctx.forward(r.withValue(new Change(nv, ov)));
    }), this.name);
    if (store) {
      const ms = keyValueStore(store, materialized, this.keySerde, valueSerde);
      this.builder.topology.addStateStore(ms.builder, name);
    }
    const parent = this;
    const getter = (): ValueGetterSupplier<K, VR> => {
      const p = parent.valueGetterSupplier();
      return {
        stores: p.stores,
        get: (ctx) => {
          const g = p.get(ctx);
          return (k) => {
            const v = g(k);
            const out = v === null ? null : compute(k, v.value);
            return out === null ? null : { value: out, timestamp: v!.timestamp };
          };
        },
      };
    };
    return new KTable<K, VR>(this.builder, name, materialized?.keySerde ?? this.keySerde, valueSerde, store ? { storeName: store.name, queryable: store.queryable } : undefined, this.windowGraceMs, getter);
  }

  filter(predicate: (key: K, value: V) => boolean, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.derive<V>("KTABLE-FILTER-", named, materialized, (k, v) => (v !== null && predicate(k, v) ? v : null), materialized?.valueSerde ?? this.valueSerde);
  }
  filterNot(predicate: (key: K, value: V) => boolean, named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    return this.filter((k, v) => !predicate(k, v), named, materialized);
  }
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR> {
    return this.derive<VR>("KTABLE-MAPVALUES-", named, materialized, (k, v) => (v === null ? null : applyValueMapper(mapper, k, v)), materialized?.valueSerde);
  }

  toStream(named?: Named): KStream<K, V>;
  toStream<KR>(mapper: (key: K, value: V) => KR, named?: Named): KStream<KR, V>;
  toStream<KR>(a?: Named | ((key: K, value: V) => KR), b?: Named): KStream<K, V> | KStream<KR, V> {
    if (typeof a === "function") return this.toStream(b).selectKey(a as (key: K, value: V) => KR);
    const name = a?.name ?? this.builder.newProcessorName("KTABLE-TOSTREAM-");
    this.builder.topology.addProcessor(name, fnProcessor<K, Change<V>, K, V | null>((ctx, r) => ctx.forward(r.withValue(r.value().newValue))), this.name);
    return new KStream<K, V>(this.builder, name, this.keySerde, this.valueSerde, false);
  }

  suppress(suppressed: Suppressed): KTable<K, V> {
    const name = suppressed.name ?? this.builder.newProcessorName("KTABLE-SUPPRESS-");
    const bufferName = suppressed.name ? `${suppressed.name}-store` : this.builder.newStoreName("KTABLE-SUPPRESS-");
    let timeOf: (r: Record<K, Change<V>>) => number;
    let suppressMs: number;
    if (suppressed.kind === "windowCloses") {
      if (this.windowGraceMs === undefined) throw new Error("suppress(untilWindowCloses) applies to windowed aggregations only (KTable<Windowed<K>, V>)");
      suppressMs = this.windowGraceMs;
      timeOf = (r) => (r.key() as unknown as Windowed<unknown>).window().end();
    } else {
      suppressMs = suppressed.timeLimitMs;
      timeOf = (r) => r.timestamp();
    }
    this.builder.topology.addProcessor(name, suppressProcessor<K, V>(timeOf, suppressMs, {
      maxRecords: suppressed.buffer.maxRecordsValue,
      shutdownWhenFull: suppressed.buffer.onFull === "shutdown",
      bufferName,
    }), this.name);
    this.builder.topology.addStateStore(suppressBufferBuilder(bufferName), name);
    return new KTable<K, V>(this.builder, name, this.keySerde, this.valueSerde, undefined, this.windowGraceMs, () => this.valueGetterSupplier());
  }

  join<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR> {
    return tableTableJoin(this, other, joiner as (v: V | null, o: VO | null) => VR, false, false, named, materialized);
  }
  leftJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V, otherValue: VO | null) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR> {
    return tableTableJoin(this, other, joiner as (v: V | null, o: VO | null) => VR, true, false, named, materialized);
  }
  outerJoin<VO, VR>(other: KTable<K, VO>, joiner: (value: V | null, otherValue: VO | null) => VR, named?: Named, materialized?: Materialized<K, VR>): KTable<K, VR> {
    return tableTableJoin(this, other, joiner, true, true, named, materialized);
  }

  groupBy<KR, VR>(selector: (key: K, value: V) => KeyValue<KR, VR> | { key: KR; value: VR }, grouped?: Grouped<KR, VR>): KGroupedTable<KR, VR> {
    // The subtractor needs old values: like Kafka's enableSendingOldValues, materialize the source.
    this.valueGetterSupplier();
    const name = grouped?.name ? `${grouped.name}-select` : this.builder.newProcessorName("KTABLE-SELECT-");
    const same = (a: unknown, b: unknown): boolean => a === b || (typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));
    this.builder.topology.addProcessor(name, fnProcessor<K, Change<V>, KR, Change<VR>>((ctx, r) => {
      const c = r.value();
      const np = c.newValue === null ? null : selector(r.key(), c.newValue);
      const op = c.oldValue === null ? null : selector(r.key(), c.oldValue);
      // Same new and old key: one record carries both (Kafka ≥ 3.4); otherwise subtract first, then add.
      if (np && op && same(np.key, op.key)) {
        ctx.forward(new Record(np.key, new Change(np.value, op.value), r.timestamp(), r.headers()));
        return;
      }
      if (op) ctx.forward(new Record(op.key, new Change<VR>(null, op.value), r.timestamp(), r.headers()));
      if (np) ctx.forward(new Record(np.key, new Change<VR>(np.value, null), r.timestamp(), r.headers()));
    }), this.name);
    return new KGroupedTable<KR, VR>(this.builder, name, grouped?.keySerde, grouped?.valueSerde, grouped?.name);
  }
}

