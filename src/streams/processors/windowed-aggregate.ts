/**
 * Window and session aggregation (Kafka's KStreamWindowAggregate, KStreamSessionWindowAggregate) and
 * suppress(untilWindowCloses / untilTimeLimit) (KTableSuppressProcessor). Each tracks its own observed
 * stream time: records for windows that closed (end + grace <= stream time) are dropped, as Kafka.
 */
import { Change } from "../internal-builder.ts";
import { Record } from "../processor.ts";
import type { Processor, ProcessorContext } from "../processor.ts";
import { setFlushListener } from "../state/state-store.ts";
import type { SessionStore, WindowStore, ValueAndTimestamp } from "../state/state-store.ts";
import { Window, Windowed } from "../windows.ts";
import type { BufferedEntry, SuppressBufferStore } from "./suppress-buffer.ts";
import type { SessionWindows, TimeWindows } from "../windows.ts";

export interface DroppedRecordSensor {
  dropped: number;
}

/**
 * Kafka's TimestampedTupleForwarder for window stores: with a cached store, its flush forwards (one
 * Change per window per commit or eviction, old value = what the store held), timestamped with the
 * aggregate's timestamp; without one, the processor forwards every update itself.
 */
export function forwardWindowsOnFlush<K, A>(store: WindowStore<K, ValueAndTimestamp<A>>, ctx: ProcessorContext<Windowed<K>, Change<A>>): boolean {
  return setFlushListener<Windowed<K>, ValueAndTimestamp<A>>(store, (key, nv, ov, ts, headers) => {
    ctx.forward(new Record(key, new Change(nv === null ? null : nv.value, ov === null ? null : ov.value), nv === null ? ts : nv.timestamp, headers));
  });
}

export function timeWindowAggregate<K, V, A>(
  storeName: string,
  windows: TimeWindows,
  first: (key: K, value: V) => A,
  aggregator: (key: K, value: V, agg: A) => A,
): () => Processor<K, V, Windowed<K>, Change<A>> {
  return () => {
    let ctx!: ProcessorContext<Windowed<K>, Change<A>>;
    let store!: WindowStore<K, ValueAndTimestamp<A>>;
    let observedStreamTime = -1;
    let cached = false;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(storeName);
        cached = forwardWindowsOnFlush(store, ctx);
      },
      process(r) {
        if (r.key() === null || r.key() === undefined || r.value() === null || r.value() === undefined) return;
        const ts = r.timestamp();
        observedStreamTime = Math.max(observedStreamTime, ts);
        const closeTime = observedStreamTime - windows.gracePeriodMs();
        for (const [start, w] of windows.windowsFor(ts)) {
          if (w.end() <= closeTime) continue; // "Skipping record for expired window"
          const old = store.fetch(r.key(), start);
          const oldAgg = old ? old.value : null;
          const newAgg = oldAgg === null ? first(r.key(), r.value()) : aggregator(r.key(), r.value(), oldAgg);
          const newTs = old ? Math.max(ts, old.timestamp) : ts;
          store.put(r.key(), { value: newAgg, timestamp: newTs }, start);
          if (!cached) ctx.forward(new Record(new Windowed(r.key(), w), new Change(newAgg, oldAgg), newTs, r.headers()));
        }
      },
    };
  };
}

export function sessionWindowAggregate<K, V, A>(
  storeName: string,
  windows: SessionWindows,
  initializer: () => A,
  aggregator: (key: K, value: V, agg: A) => A,
  merger: (key: K, agg1: A, agg2: A) => A,
): () => Processor<K, V, Windowed<K>, Change<A>> {
  return () => {
    let ctx!: ProcessorContext<Windowed<K>, Change<A>>;
    let store!: SessionStore<K, A>;
    let observedStreamTime = -1;
    // Kafka's SessionTupleForwarder: a cached store forwards at flush, timestamped with the session end.
    let cached = false;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(storeName);
        cached = setFlushListener<Windowed<K>, A>(store, (key, nv, ov, _ts, headers) => {
          ctx.forward(new Record(key, new Change<A>(nv, ov), key.window().end(), headers));
        });
      },
      process(r) {
        if (r.key() === null || r.key() === undefined || r.value() === null || r.value() === undefined) return;
        const ts = r.timestamp();
        observedStreamTime = Math.max(observedStreamTime, ts);
        const closeTime = observedStreamTime - windows.gracePeriodMs();
        const gap = windows.inactivityGap();
        const merged = store.findSessions(r.key(), ts - gap, ts + gap);
        let agg = initializer();
        let start = ts;
        let end = ts;
        for (const s of merged) {
          agg = merger(r.key(), agg, s.value);
          start = Math.min(start, s.key.window().start());
          end = Math.max(end, s.key.window().end());
        }
        if (end < closeTime) return; // "Skipping record for expired window"
        if (start !== ts || end !== ts) {
          for (const s of merged) {
            store.remove(s.key);
            if (!cached) ctx.forward(new Record(s.key, new Change<A>(null, s.value), s.key.window().end(), r.headers()));
          }
        }
        agg = aggregator(r.key(), r.value(), agg);
        const key = new Windowed(r.key(), new Window(start, end));
        store.put(key, agg);
        if (!cached) ctx.forward(new Record(key, new Change<A>(agg, null), end, r.headers()));
      },
    };
  };
}

/** Suppressed.untilWindowCloses: hold each window's latest result until stream time passes end + grace. */
export function suppressProcessor<K, V>(
  timeOf: (record: Record<K, Change<V>>) => number,
  suppressMs: number,
  opts: { maxRecords?: number; shutdownWhenFull?: boolean; emitEarlyWhenFull?: boolean; bufferName: string },
): () => Processor<K, Change<V>, K, Change<V>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<V>>;
    // The buffered record keeps its own context (timestamp, headers).
    let store!: SuppressBufferStore<Record<K, Change<V>>, V>;
    let buffer!: Map<string, BufferedEntry<Record<K, Change<V>>, V>>;
    const id = (k: K): string => (k instanceof Windowed ? `${JSON.stringify(k.key())}@${k.window().start()}/${k.window().end()}` : JSON.stringify(k));
    const emit = (e: { record: Record<K, Change<V>>; prior: V | null }): void => {
      const c = e.record.value();
      // Kafka drops a buffered tombstone whose key had no emitted prior value.
      if (c.newValue === null && e.prior === null) return;
      ctx.forward(e.record.withValue(new Change(c.newValue, e.prior)));
    };
    const evict = (): void => {
      const expiry = store.observedStreamTime - suppressMs;
      for (;;) {
        let minKey: string | undefined;
        let min = Infinity;
        // Kafka's buffer is ordered by (time, key); the key identity string stands in for the key bytes.
        for (const [k, e] of buffer) {
          if (e.time < min || (e.time === min && minKey !== undefined && k < minKey)) {
            min = e.time;
            minKey = k;
          }
        }
        if (minKey === undefined || min > expiry) break;
        const e = buffer.get(minKey)!;
        buffer.delete(minKey);
        emit(e);
      }
      if (opts.maxRecords !== undefined) {
        while (buffer.size > opts.maxRecords) {
          if (opts.shutdownWhenFull) throw new Error(`Suppress buffer ${opts.bufferName} exceeded its max capacity of ${opts.maxRecords} records`);
          const [k, e] = buffer.entries().next().value as [string, BufferedEntry<Record<K, Change<V>>, V>];
          buffer.delete(k);
          emit(e);
        }
      }
    };
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(opts.bufferName);
        buffer = store.entries;
      },
      process(r) {
        store.observedStreamTime = Math.max(store.observedStreamTime, r.timestamp());
        const k = id(r.key());
        const prev = buffer.get(k);
        buffer.delete(k);
        buffer.set(k, { time: timeOf(r), record: r, prior: prev ? prev.prior : r.value().oldValue });
        evict();
      },
    };
  };
}
