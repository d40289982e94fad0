/**
 * Windowed stream-stream join (Kafka's KStreamKStreamJoin, ≥ 3.1 semantics). Each side stores its
 * records in a window store and probes the other side's. Left/outer joins hold unmatched records in a
 * shared "outer" store and emit them with a null partner only after their window closed
 * (record ts + look-back + grace < stream time), ordered by (timestamp, right before left, key bytes).
 */
import { Record } from "../processor.ts";
import type { Processor, ProcessorContext } from "../processor.ts";
import type { Serde } from "../serdes.ts";
import type { StateStore, StateStoreContext, StoreBuilder, WindowStore } from "../state/state-store.ts";
import type { JoinWindows } from "../windows.ts";

/** Shared between the two sides of one join in one task: the max stream time both have seen. */
export class TimeTracker {
  streamTime = -1;
  minTime = Number.MAX_SAFE_INTEGER;
}

export interface OuterEntry {
  ts: number;
  isLeft: boolean;
  keyId: string;
  key: unknown;
  value: unknown;
}

/** The outer-join store of unmatched records. Keys are serialized with the join's key serde for ordering. */
export class OuterJoinStore implements StateStore {
  private readonly storeName: string;
  private readonly keySerdeOpt: Serde<unknown> | undefined;
  private keySerde!: Serde<unknown>;
  private entries: OuterEntry[] = [];
  private open = false;
  constructor(name: string, keySerde: Serde<unknown> | undefined) {
    this.storeName = name;
    this.keySerdeOpt = keySerde;
  }
  name(): string { return this.storeName; }
  init(ctx: StateStoreContext): void {
    const ks = this.keySerdeOpt ?? ctx.keySerde();
    if (!ks) throw new Error(`No key serde for state store '${this.storeName}': pass StreamJoined.with(…) or set default.key.serde`);
    this.keySerde = ks;
    this.open = true;
  }
  persistent(): boolean { return false; }
  isOpen(): boolean { return this.open; }
  flush(): void {}
  close(): void { this.open = false; }

  private id(key: unknown): string {
    return (this.keySerde.serializer().serialize(this.storeName, key) ?? Buffer.alloc(0)).toString("latin1");
  }
  put(ts: number, isLeft: boolean, key: unknown, value: unknown): void {
    this.entries.push({ ts, isLeft, keyId: this.id(key), key, value });
    // Stable sort keeps arrival order among equal keys, like Kafka's list-value store.
    this.entries.sort((a, b) => a.ts - b.ts || Number(a.isLeft) - Number(b.isLeft) || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  }
  /** Remove every entry under (ts, side, key): the partner arrived. */
  remove(ts: number, isLeft: boolean, key: unknown): void {
    const id = this.id(key);
    this.entries = this.entries.filter((e) => !(e.ts === ts && e.isLeft === isLeft && e.keyId === id));
  }
  all(): readonly OuterEntry[] { return this.entries; }
  removeEntries(done: ReadonlySet<OuterEntry>): void {
    this.entries = this.entries.filter((e) => !done.has(e));
  }
}

export function outerJoinStoreBuilder(name: string, keySerde: Serde<unknown> | undefined): StoreBuilder<OuterJoinStore> {
  let logging = true;
  const b: StoreBuilder<OuterJoinStore> = {
    name: () => name,
    build: () => new OuterJoinStore(name, keySerde),
    loggingEnabled: () => logging,
    logConfig: () => ({}),
    withLoggingEnabled: () => { logging = true; return b; },
    withLoggingDisabled: () => { logging = false; return b; },
    withCachingEnabled: () => b,
    withCachingDisabled: () => b,
  };
  return b;
}

/** KStreamJoinWindow: remember this side's record, then pass it to the join processor. */
export function joinWindowProcessor<K, V>(storeName: string): () => Processor<K, V, K, V> {
  return () => {
    let ctx!: ProcessorContext<K, V>;
    let store!: WindowStore<K, V>;
    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(storeName);
      },
      process(r) {
        if (r.key() !== null && r.key() !== undefined) store.put(r.key(), r.value(), r.timestamp());
        ctx.forward(r);
      },
    };
  };
}

export interface JoinSideOptions<K, VThis, VOther, VOut> {
  otherStoreName: string;
  isLeftSide: boolean;
  windows: JoinWindows;
  /** (key, thisValue, otherValue) — already reversed for the right side. */
  joiner: (key: K, thisValue: VThis | null, otherValue: VOther | null) => VOut;
  outer: boolean;
  outerStoreName: string | undefined;
  tracker: (ctx: ProcessorContext<unknown, unknown>) => TimeTracker;
}

export function streamStreamJoinSide<K, VThis, VOther, VOut>(o: JoinSideOptions<K, VThis, VOther, VOut>): () => Processor<K, VThis, K, VOut> {
  const before = o.isLeftSide ? o.windows.beforeMs : o.windows.afterMs;
  const after = o.isLeftSide ? o.windows.afterMs : o.windows.beforeMs;
  const grace = o.windows.gracePeriodMs();
  return () => {
    let ctx!: ProcessorContext<K, VOut>;
    let other!: WindowStore<K, VOther>;
    let outerStore: OuterJoinStore | undefined;
    let tracker!: TimeTracker;
    const lookBack = (isLeft: boolean): number => (isLeft ? o.windows.afterMs : o.windows.beforeMs);

    const emitNonJoined = (r: Record<K, VThis>): void => {
      if (!outerStore) return;
      if (tracker.minTime + after + grace >= tracker.streamTime) return;
      tracker.minTime = Number.MAX_SAFE_INTEGER;
      const done = new Set<OuterEntry>();
      let leftOpen = false;
      let rightOpen = false;
      for (const e of outerStore.all()) {
        tracker.minTime = e.ts;
        if (leftOpen && rightOpen) break;
        if (e.ts + lookBack(e.isLeft) + grace >= tracker.streamTime) {
          if (e.isLeft) leftOpen = true;
          else rightOpen = true;
          continue;
        }
        const thisIsLeft = o.isLeftSide;
        const thisValue = (e.isLeft === thisIsLeft ? e.value : null) as VThis | null;
        const otherValue = (e.isLeft === thisIsLeft ? null : e.value) as VOther | null;
        ctx.forward(new Record(e.key as K, o.joiner(e.key as K, thisValue, otherValue), e.ts, r.headers()));
        done.add(e);
      }
      outerStore.removeEntries(done);
    };

    return {
      init(c) {
        ctx = c;
        other = c.getStateStore(o.otherStoreName);
        if (o.outerStoreName) outerStore = c.getStateStore<OuterJoinStore>(o.outerStoreName);
        tracker = o.tracker(c as ProcessorContext<unknown, unknown>);
      },
      process(r) {
        const ts = r.timestamp();
        tracker.streamTime = Math.max(tracker.streamTime, ts);
        if (o.outer && (r.key() === null || r.key() === undefined) && r.value() !== null) {
          ctx.forward(r.withValue(o.joiner(r.key(), r.value(), null)));
          return;
        }
        if (r.key() === null || r.key() === undefined || r.value() === null || r.value() === undefined) return;
        if (ts === tracker.streamTime) emitNonJoined(r);
        const from = Math.max(0, ts - before);
        const to = Math.max(0, ts + after);
        const matches = other.fetchRange(r.key(), from, to);
        for (const m of matches) {
          outerStore?.remove(m.key, !o.isLeftSide, r.key());
          ctx.forward(new Record(r.key(), o.joiner(r.key(), r.value(), m.value), Math.max(ts, m.key), r.headers()));
        }
        if (o.outer && matches.length === 0) {
          if (!outerStore || to < tracker.streamTime) {
            ctx.forward(r.withValue(o.joiner(r.key(), r.value(), null)));
          } else {
            tracker.minTime = Math.min(tracker.minTime, ts);
            outerStore.put(ts, o.isLeftSide, r.key(), r.value());
          }
        }
      },
    };
  };
}
