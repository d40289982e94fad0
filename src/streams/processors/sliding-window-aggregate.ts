/**
 * Sliding-window aggregation, ported from Kafka's KStreamSlidingWindowAggregate (reverse-iterator path,
 * which Kafka uses with its built-in stores): windows [t - d, t] exist only where records are, each
 * record updates the windows containing it and creates its own left window and, if non-empty, the right
 * window [t + 1, t + 1 + d]. Records earlier than d go to the combined [0, d] window (processEarly).
 */
import { Change } from "../internal-builder.ts";
import { Record } from "../processor.ts";
import type { Processor, ProcessorContext } from "../processor.ts";
import type { ValueAndTimestamp, WindowStore } from "../state/state-store.ts";
import { Window, Windowed } from "../windows.ts";
import type { SlidingWindows } from "../windows.ts";
import { forwardWindowsOnFlush } from "./windowed-aggregate.ts";

type VT<A> = ValueAndTimestamp<A>;

export function slidingWindowAggregate<K, V, A>(
  storeName: string,
  windows: SlidingWindows,
  initializer: () => A,
  aggregator: (key: K, value: V, agg: A) => A,
): () => Processor<K, V, Windowed<K>, Change<A>> {
  const d = windows.timeDifferenceMs;
  return () => {
    let ctx!: ProcessorContext<Windowed<K>, Change<A>>;
    let store!: WindowStore<K, VT<A>>;
    let observedStreamTime = -1;
    let cached = false;

    const updateWindowAndForward = (w: Window, vt: VT<A>, r: Record<K, V>, closeTime: number): void => {
      if (w.end() < closeTime) return; // "Skipping record for expired window"
      const oldAgg = vt.value;
      const newAgg = aggregator(r.key(), r.value(), oldAgg);
      const ts = Math.max(r.timestamp(), vt.timestamp);
      store.put(r.key(), { value: newAgg, timestamp: ts }, w.start());
      if (!cached) ctx.forward(new Record(new Windowed(r.key(), w), new Change(newAgg, oldAgg), ts, r.headers()));
    };
    const createCurrentRecordRightWindow = (t: number, right: VT<A>, r: Record<K, V>): void => {
      const w = new Window(t + 1, t + 1 + d);
      store.put(r.key(), right, w.start());
      if (!cached) ctx.forward(new Record(new Windowed(r.key(), w), new Change<A>(right.value, null), right.timestamp, r.headers()));
    };
    const createPreviousRecordRightWindow = (start: number, r: Record<K, V>, closeTime: number): void => {
      updateWindowAndForward(new Window(start, start + d), { value: initializer(), timestamp: r.timestamp() }, r, closeTime);
    };
    const rightWindowIsNotEmpty = (right: VT<A> | null, t: number): right is VT<A> => right !== null && right.timestamp > t;

    const createWindows = (r: Record<K, V>, closeTime: number, starts: Set<number>, right: VT<A> | null, left: VT<A> | null,
      leftCreated: boolean, rightCreated: boolean, prevTs: number | null): void => {
      const t = r.timestamp();
      if (prevTs !== null) {
        const prevRightStart = prevTs + 1;
        if (!starts.has(prevRightStart) && prevRightStart + d >= t) createPreviousRecordRightWindow(prevRightStart, r, closeTime);
      }
      if (!leftCreated) {
        const leftNotEmpty = prevTs !== null && t - d <= prevTs;
        const vt = leftNotEmpty ? { value: left!.value, timestamp: t } : { value: initializer(), timestamp: t };
        updateWindowAndForward(new Window(t - d, t), vt, r, closeTime);
      }
      if (!rightCreated && rightWindowIsNotEmpty(right, t)) createCurrentRecordRightWindow(t, right, r);
    };

    const processReverse = (r: Record<K, V>, closeTime: number): void => {
      const t = r.timestamp();
      const starts = new Set<number>();
      let left: VT<A> | null = null;
      let right: VT<A> | null = null;
      let leftCreated = false;
      let rightCreated = false;
      let prevTs: number | null = null;
      const found = store.fetchRange(r.key(), Math.max(0, t - 2 * d), t + 1).reverse();
      for (const e of found) {
        const start = e.key;
        starts.add(start);
        const end = start + d;
        const maxTs = e.value.timestamp;
        if (start === t + 1) {
          rightCreated = true;
        } else if (end > t) {
          if (right === null) right = e.value;
          updateWindowAndForward(new Window(start, end), e.value, r, closeTime);
        } else if (end === t) {
          leftCreated = true;
          updateWindowAndForward(new Window(start, end), e.value, r, closeTime);
          if (maxTs < t) prevTs = maxTs;
          else return;
        } else {
          left = e.value;
          prevTs = maxTs;
          break;
        }
      }
      createWindows(r, closeTime, starts, right, left, leftCreated, rightCreated, prevTs);
    };

    const processEarly = (r: Record<K, V>, closeTime: number): void => {
      const t = r.timestamp();
      let combined: { start: number; value: VT<A> } | null = null;
      let right: VT<A> | null = null;
      let rightCreated = false;
      const starts = new Set<number>();
      let prevTs: number | null = null;
      for (const e of store.fetchRange(r.key(), 0, t + 1)) {
        const start = e.key;
        starts.add(start);
        if (start === 0) {
          combined = { start, value: e.value };
          if (e.value.timestamp < t) prevTs = e.value.timestamp;
        } else if (start <= t) {
          right = e.value;
          updateWindowAndForward(new Window(start, start + d), e.value, r, closeTime);
        } else if (start === t + 1) {
          rightCreated = true;
        }
      }
      if (right === null && combined !== null && combined.value.timestamp > t) right = combined.value;
      if (!rightCreated && rightWindowIsNotEmpty(right, t)) createCurrentRecordRightWindow(t, right, r);
      if (prevTs !== null && !starts.has(prevTs + 1)) createPreviousRecordRightWindow(prevTs + 1, r, closeTime);
      if (combined === null) updateWindowAndForward(new Window(0, d), { value: initializer(), timestamp: t }, r, closeTime);
      else updateWindowAndForward(new Window(0, d), combined.value, r, closeTime);
    };

    return {
      init(c) {
        ctx = c;
        store = c.getStateStore(storeName);
        cached = forwardWindowsOnFlush(store, ctx);
      },
      process(r) {
        if (r.key() === null || r.key() === undefined || r.value() === null || r.value() === undefined) return;
        observedStreamTime = Math.max(observedStreamTime, r.timestamp());
        const closeTime = observedStreamTime - windows.gracePeriodMs();
        if (r.timestamp() + d < closeTime) return; // "Skipping record for expired window"
        if (r.timestamp() < d) processEarly(r, closeTime);
        else processReverse(r, closeTime);
      },
    };
  };
}
