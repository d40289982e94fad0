/**
 * KGroupedStream and its windowed forms (Kafka's KGroupedStreamImpl, TimeWindowedKStreamImpl,
 * SessionWindowedKStreamImpl). Names follow Kafka: the store name is drawn before the processor name,
 * then the repartition nodes (sink, filter, source) when the key changed upstream.
 */
import type { Materialized, Named } from "./dsl-options.ts";
import type { Change, InternalStreamsBuilder } from "./internal-builder.ts";
import { addRepartition } from "./kstream.ts";
import { KTable } from "./ktable.ts";
import { keyValueStore, sessionStore, storeNameFor, windowStore } from "./materialize.ts";
import type { Processor } from "./processor.ts";
import { streamAggregate } from "./processors/aggregate.ts";
import { sessionWindowAggregate, timeWindowAggregate } from "./processors/windowed-aggregate.ts";
import { Serdes } from "./serdes.ts";
import type { Serde } from "./serdes.ts";
import type { StateStore } from "./state/state-store.ts";
import type { MaterializedStore } from "./materialize.ts";
import { SessionWindows, TimeWindows, WindowedSerdes } from "./windows.ts";
import type { SlidingWindows, Windowed } from "./windows.ts";
import { slidingWindowAggregate } from "./processors/sliding-window-aggregate.ts";

const AGGREGATE = "KSTREAM-AGGREGATE-";
const REDUCE = "KSTREAM-REDUCE-";

type M<K, V> = Materialized<K, V> | undefined;

class GroupedBase<K, V> {
  /** @internal */ readonly builder: InternalStreamsBuilder;
  /** @internal */ readonly name: string;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** @internal */ readonly repartitionRequired: boolean;
  /** @internal */ readonly repartitionName: string | undefined;
  constructor(builder: InternalStreamsBuilder, name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionRequired: boolean, repartitionName: string | undefined) {
    this.builder = builder;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
    this.repartitionName = repartitionName;
  }

  /** GroupedStreamAggregateBuilder.build: optional repartition, then the stateful node. */
  protected buildAggregate<KOut, A>(
    prefix: string,
    named: Named | undefined,
    storeName: { name: string; queryable: boolean },
    makeStore: () => MaterializedStore<StateStore>,
    processor: (storeName: string) => () => Processor<K, V, KOut, Change<A>>,
  ): { nodeName: string; storeName: string; queryable: boolean } {
    const nodeName = named?.name ?? this.builder.newProcessorName(prefix);
    let parent = this.name;
    if (this.repartitionRequired) {
      parent = addRepartition(this.builder, this.name, this.repartitionName ?? storeName.name, this.keySerde as Serde<unknown>, this.valueSerde as Serde<unknown>);
    }
    const ms = makeStore();
    this.builder.topology.addProcessor(nodeName, processor(ms.storeName), parent);
    this.builder.topology.addStateStore(ms.builder, nodeName);
    return { nodeName, storeName: ms.storeName, queryable: ms.queryable };
  }
}

/** The windowed forms: the grouped stream's fields plus the windows (Kafka's *WindowedKStreamImpl). */
class WindowedGroupedBase<K, V, W> extends GroupedBase<K, V> {
  protected readonly windows: W;
  constructor(g: KGroupedStream<K, V>, windows: W) {
    super(g.builder, g.name, g.keySerde, g.valueSerde, g.repartitionRequired, g.repartitionName);
    this.windows = windows;
  }

  /** The windowed aggregate's node and its KTable, keyed by Windowed<K> in the window type's serde. */
  protected buildWindowed<A>(
    prefix: string,
    named: Named | undefined,
    m: Materialized<K, A> | undefined,
    vs: Serde<A> | undefined,
    makeStore: (store: { name: string; queryable: boolean }) => MaterializedStore<StateStore>,
    processor: (storeName: string) => () => Processor<K, V, Windowed<K>, Change<A>>,
    windowedKeySerde: (ks: Serde<K>) => Serde<Windowed<K>>,
    gracePeriodMs: number,
  ): KTable<Windowed<K>, A> {
    const store = storeNameFor(this.builder, m as M<unknown, unknown>, prefix);
    const r = this.buildAggregate<Windowed<K>, A>(prefix, named, store, () => makeStore(store), processor);
    const ks = m?.keySerde ?? this.keySerde;
    return new KTable<Windowed<K>, A>(this.builder, r.nodeName, ks ? windowedKeySerde(ks) : undefined, vs, { storeName: r.storeName, queryable: r.queryable, windowed: true }, gracePeriodMs);
  }
}

export class KGroupedStream<K, V> extends GroupedBase<K, V> {
  count(materialized?: Materialized<K, number>, named?: Named): KTable<K, number> {
    return this.aggregate<number>(() => 0, (_k, _v, agg) => agg + 1, materialized ?? undefined, named, Serdes.Long(), AGGREGATE);
  }

  reduce(reducer: (agg: V, value: V) => V, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    const store = storeNameFor(this.builder, materialized as M<unknown, unknown>, REDUCE);
    const vs = materialized?.valueSerde ?? this.valueSerde;
    const r = this.buildAggregate<K, V>(REDUCE, named, store, () => keyValueStore(store, materialized, this.keySerde, vs), (s) =>
      streamAggregate<K, V, V>(s, (_k, v) => v, (_k, v, agg) => reducer(agg, v)));
    return new KTable<K, V>(this.builder, r.nodeName, materialized?.keySerde ?? this.keySerde, vs, { storeName: r.storeName, queryable: r.queryable });
  }

  aggregate<A>(
    initializer: () => A,
    aggregator: (key: K, value: V, agg: A) => A,
    materialized?: Materialized<K, A>,
    named?: Named,
    defaultValueSerde?: Serde<A>,
    prefix: string = AGGREGATE,
  ): KTable<K, A> {
    const store = storeNameFor(this.builder, materialized as M<unknown, unknown>, prefix);
    const vs = materialized?.valueSerde ?? defaultValueSerde;
    const r = this.buildAggregate<K, A>(prefix, named, store, () => keyValueStore(store, materialized, this.keySerde, vs), (s) =>
      streamAggregate<K, V, A>(s, (k, v) => aggregator(k, v, initializer()), aggregator));
    return new KTable<K, A>(this.builder, r.nodeName, materialized?.keySerde ?? this.keySerde, vs, { storeName: r.storeName, queryable: r.queryable });
  }

  windowedBy(windows: TimeWindows): TimeWindowedKStream<K, V>;
  windowedBy(windows: SessionWindows): SessionWindowedKStream<K, V>;
  windowedBy(windows: SlidingWindows): SlidingWindowedKStream<K, V>;
  windowedBy(windows: TimeWindows | SessionWindows | SlidingWindows): TimeWindowedKStream<K, V> | SessionWindowedKStream<K, V> | SlidingWindowedKStream<K, V> {
    if (windows instanceof TimeWindows) return new TimeWindowedKStream(this, windows);
    if (windows instanceof SessionWindows) return new SessionWindowedKStream(this, windows);
    return new SlidingWindowedKStream(this, windows);
  }
}

export class TimeWindowedKStream<K, V> extends WindowedGroupedBase<K, V, TimeWindows> {
  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, a) => a + 1, materialized, named, Serdes.Long());
  }
  reduce(reducer: (agg: V, value: V) => V, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    return this.build<V>(REDUCE, (_k, v) => v, (_k, v, a) => reducer(a, v), materialized, named, materialized?.valueSerde ?? this.valueSerde);
  }
  aggregate<A>(initializer: () => A, aggregator: (key: K, value: V, agg: A) => A, materialized?: Materialized<K, A>, named?: Named, defaultValueSerde?: Serde<A>): KTable<Windowed<K>, A> {
    return this.build<A>(AGGREGATE, (k, v) => aggregator(k, v, initializer()), aggregator, materialized, named, materialized?.valueSerde ?? defaultValueSerde);
  }
  private build<A>(prefix: string, first: (k: K, v: V) => A, agg: (k: K, v: V, a: A) => A, m: Materialized<K, A> | undefined, named: Named | undefined, vs: Serde<A> | undefined): KTable<Windowed<K>, A> {
    const w = this.windows;
    return this.buildWindowed<A>(prefix, named, m, vs,
      (store) => windowStore(store, m, this.keySerde, vs, w.size(), w.size() + w.gracePeriodMs()),
      (s) => timeWindowAggregate<K, V, A>(s, w, first, agg),
      (ks) => WindowedSerdes.timeWindowedSerdeFrom(ks, w.size()), w.gracePeriodMs());
  }
}

export class SessionWindowedKStream<K, V> extends WindowedGroupedBase<K, V, SessionWindows> {
  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, a) => a + 1, (_k, a, b) => a + b, materialized, named, Serdes.Long());
  }
  reduce(reducer: (agg: V, value: V) => V, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    // Kafka's session reduce: initializer null, aggregator/merger both use the reducer (null = first).
    const r = (_k: K, v: V, a: V | null): V => (a === null ? v : reducer(a, v));
    return this.build<V | null>(REDUCE, () => null, r, (_k, a, b) => (a === null ? b : b === null ? a : reducer(a, b)), materialized as Materialized<K, V | null> | undefined, named, (materialized?.valueSerde ?? this.valueSerde) as Serde<V | null> | undefined) as KTable<Windowed<K>, V>;
  }
  aggregate<A>(initializer: () => A, aggregator: (key: K, value: V, agg: A) => A, merger: (key: K, agg1: A, agg2: A) => A, materialized?: Materialized<K, A>, named?: Named, defaultValueSerde?: Serde<A>): KTable<Windowed<K>, A> {
    return this.build<A>(AGGREGATE, initializer, aggregator, merger, materialized, named, materialized?.valueSerde ?? defaultValueSerde);
  }
  private build<A>(prefix: string, init: () => A, agg: (k: K, v: V, a: A) => A, merger: (k: K, a: A, b: A) => A, m: Materialized<K, A> | undefined, named: Named | undefined, vs: Serde<A> | undefined): KTable<Windowed<K>, A> {
    const w = this.windows;
    return this.buildWindowed<A>(prefix, named, m, vs,
      (store) => sessionStore(store, m, this.keySerde, vs, w.inactivityGap() + w.gracePeriodMs()),
      (s) => sessionWindowAggregate<K, V, A>(s, w, init, agg, merger),
      (ks) => WindowedSerdes.sessionWindowedSerdeFrom(ks), w.gracePeriodMs());
  }
}

/** windowedBy(SlidingWindows): windows [t - d, t] around the records (Kafka's SlidingWindowedKStreamImpl). */
export class SlidingWindowedKStream<K, V> extends WindowedGroupedBase<K, V, SlidingWindows> {
  count(materialized?: Materialized<K, number>, named?: Named): KTable<Windowed<K>, number> {
    return this.aggregate<number>(() => 0, (_k, _v, a) => a + 1, materialized, named, Serdes.Long());
  }
  reduce(reducer: (agg: V, value: V) => V, materialized?: Materialized<K, V>, named?: Named): KTable<Windowed<K>, V> {
    const r = (_k: K, v: V, a: V | null): V => (a === null ? v : reducer(a, v));
    return this.build<V | null>(REDUCE, () => null, r, materialized as Materialized<K, V | null> | undefined, named, (materialized?.valueSerde ?? this.valueSerde) as Serde<V | null> | undefined) as KTable<Windowed<K>, V>;
  }
  aggregate<A>(initializer: () => A, aggregator: (key: K, value: V, agg: A) => A, materialized?: Materialized<K, A>, named?: Named, defaultValueSerde?: Serde<A>): KTable<Windowed<K>, A> {
    return this.build<A>(AGGREGATE, initializer, aggregator, materialized, named, materialized?.valueSerde ?? defaultValueSerde);
  }
  private build<A>(prefix: string, init: () => A, agg: (k: K, v: V, a: A) => A, m: Materialized<K, A> | undefined, named: Named | undefined, vs: Serde<A> | undefined): KTable<Windowed<K>, A> {
    const w = this.windows;
    const d = w.timeDifferenceMs;
    // Sliding windows include their end: the windowed key's end is start + d, as Kafka's TimeWindowedSerde with size d.
    return this.buildWindowed<A>(prefix, named, m, vs,
      (store) => windowStore(store, m, this.keySerde, vs, d, 2 * d + w.gracePeriodMs()),
      (s) => slidingWindowAggregate<K, V, A>(s, w, init, agg),
      (ks) => WindowedSerdes.timeWindowedSerdeFrom(ks, d), w.gracePeriodMs());
  }
}
