/**
 * Stateful DSL processors over key-value stores, following Kafka's KStreamAggregate, KStreamReduce,
 * KTableSource and KTableAggregate: results carry max(input, previous result) timestamps.
 */
import { Change } from "../internal-builder.ts";
import { Record } from "../processor.ts";
import type { Processor, ProcessorContext } from "../processor.ts";
import { setFlushListener } from "../state/state-store.ts";
import type { TimestampedKeyValueStore, ValueAndTimestamp } from "../state/state-store.ts";

/**
 * Kafka's TimestampedTupleForwarder: with a cached store, the cache's flush forwards (one Change per key
 * per commit or eviction, old value = what the store held before); without one, the processor does.
 */
function forwardOnFlush<K, A>(store: TimestampedKeyValueStore<K, A>, ctx: ProcessorContext<K, Change<A>>): boolean {
  return setFlushListener<K, ValueAndTimestamp<A>>(store, (key, nv, ov, ts, headers) => {
    ctx.forward(new Record(key, new Change(nv === null ? null : nv.value, ov === null ? null : ov.value), nv === null ? ts : nv.timestamp, headers));
  });
}

/** One record's aggregation: the store's previous entry and the new aggregate (null = delete) with its timestamp. */
interface AggregateStep<A> {
  old: ValueAndTimestamp<A> | null;
  agg: A | null;
  ts: number;
}

/**
 * The processor both aggregates are: `step` reads the store and computes (undefined skips the record);
 * the new aggregate is stored and, unless the store's cache forwards on flush, forwarded as a Change.
 */
function aggregating<K, VIn, A>(
  storeName: string,
  step: (r: Record<K, VIn>, store: TimestampedKeyValueStore<K, A>) => AggregateStep<A> | undefined,
): () => Processor<K, VIn, K, Change<A>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<A>>;
    let store!: TimestampedKeyValueStore<K, A>;
    let cached = false;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(storeName);
        cached = forwardOnFlush(store, ctx);
      },
      process(r) {
        const s = step(r, store);
        if (s === undefined) return;
        store.put(r.key(), s.agg === null ? null : { value: s.agg, timestamp: s.ts });
        if (!cached) ctx.forward(new Record(r.key(), new Change(s.agg, s.old ? s.old.value : null), s.ts, r.headers()));
      },
    };
  };
}

/** groupByKey().aggregate/count/reduce: `first` makes the first aggregate of a key (reduce: the value itself). */
export function streamAggregate<K, V, A>(
  storeName: string,
  first: (key: K, value: V) => A,
  aggregator: (key: K, value: V, agg: A) => A,
): () => Processor<K, V, K, Change<A>> {
  return aggregating<K, V, A>(storeName, (r, store) => {
    // Kafka skips null keys and values here ("Skipping record due to null key or value").
    if (r.key() === null || r.key() === undefined || r.value() === null || r.value() === undefined) return undefined;
    const old = store.get(r.key());
    const oldAgg = old ? old.value : null;
    const agg = oldAgg === null ? first(r.key(), r.value()) : aggregator(r.key(), r.value(), oldAgg);
    return { old, agg, ts: old ? Math.max(old.timestamp, r.timestamp()) : r.timestamp() };
  });
}

/** builder.table()/toTable(): upserts (null = delete) into the store when materialized, forwards Change. */
export function tableSource<K, V>(storeName: string | undefined, isMaterialized: () => boolean): () => Processor<K, V, K, Change<V>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<V>>;
    let store: TimestampedKeyValueStore<K, V> | undefined;
    return {
      init(c) {
        ctx = c;
        if (storeName && isMaterialized()) store = c.getStateStore<TimestampedKeyValueStore<K, V>>(storeName);
      },
      process(r) {
        if (r.key() === null || r.key() === undefined) return; // a table cannot hold a null key
        const v = r.value() === undefined ? null : r.value();
        let old: V | null = null;
        if (store) {
          const prev = store.get(r.key());
          // A plain (non-versioned) store takes the latest arrival, even if its timestamp is older, as Kafka.
          old = prev ? prev.value : null;
          store.put(r.key(), v === null ? null : { value: v, timestamp: r.timestamp() });
          if (v === null && old === null) return; // deleting an absent key changes nothing
        }
        ctx.forward(new Record(r.key(), new Change(v, old), r.timestamp(), r.headers()));
      },
    };
  };
}

/** KGroupedTable aggregate/reduce/count: subtract the old value, then add the new one. */
export function tableAggregate<K, V, A>(
  storeName: string,
  initializer: (() => A) | null,
  adder: (key: K, value: V, agg: A) => A,
  subtractor: (key: K, value: V, agg: A) => A,
): () => Processor<K, Change<V>, K, Change<A>> {
  return aggregating<K, Change<V>, A>(storeName, (r, store) => {
    if (r.key() === null || r.key() === undefined) throw new Error("Record key for KTable aggregate operator with state " + storeName + " should not be null.");
    const old = store.get(r.key());
    const oldAgg = old ? old.value : null;
    let ts = r.timestamp();
    let intermediate: A | null = oldAgg;
    if (r.value().oldValue !== null && oldAgg !== null) {
      intermediate = subtractor(r.key(), r.value().oldValue as V, oldAgg);
      ts = Math.max(r.timestamp(), old!.timestamp);
    }
    let newAgg: A | null = intermediate;
    if (r.value().newValue !== null) {
      const nv = r.value().newValue as V;
      // reduce has no initializer: the first value is the aggregate.
      newAgg = intermediate === null ? (initializer ? adder(r.key(), nv, initializer()) : (nv as unknown as A)) : adder(r.key(), nv, intermediate);
      if (old) ts = Math.max(r.timestamp(), old.timestamp);
    }
    return { old, agg: newAgg, ts };
  });
}
