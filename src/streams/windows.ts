/**
 * Window definitions with Kafka's names and arithmetic (TimeWindows, SlidingWindows, SessionWindows,
 * JoinWindows), the Window/Windowed value types, and windowed-key serdes in Kafka's binary formats.
 */
import type { Serde } from "./serdes.ts";
import { readInt64Number, serdeFrom, writeInt64BE } from "./serdes.ts";

/** A window [start, end): end exclusive for time windows, inclusive for session windows (as Kafka). */
export class Window {
  readonly startMs: number;
  readonly endMs: number;
  constructor(startMs: number, endMs: number) {
    if (startMs < 0) throw new Error("Window startMs time cannot be negative.");
    if (endMs < startMs) throw new Error("Window endMs time cannot be smaller than window startMs time.");
    this.startMs = startMs;
    this.endMs = endMs;
  }
  start(): number { return this.startMs; }
  end(): number { return this.endMs; }
  equals(o: Window): boolean { return o.startMs === this.startMs && o.endMs === this.endMs; }
  toString(): string { return `Window{startMs=${this.startMs}, endMs=${this.endMs}}`; }
}

export class Windowed<K> {
  readonly keyValue: K;
  readonly windowValue: Window;
  constructor(key: K, window: Window) {
    this.keyValue = key;
    this.windowValue = window;
  }
  key(): K { return this.keyValue; }
  window(): Window { return this.windowValue; }
  toString(): string { return `[${String(this.keyValue)}@${this.windowValue.startMs}/${this.windowValue.endMs}]`; }
}

function checkMs(name: string, v: number): number {
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must not be negative (got ${v})`);
  return v;
}

/** Fixed-size windows; hopping when advanceBy < size, tumbling otherwise. */
export class TimeWindows {
  readonly sizeMs: number;
  readonly advanceMs: number;
  private readonly graceMs: number;
  private constructor(size: number, advance: number, grace: number) {
    this.sizeMs = size;
    this.advanceMs = advance;
    this.graceMs = grace;
  }
  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return TimeWindows.ofSizeAndGrace(sizeMs, 0);
  }
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    if (checkMs("Window size (sizeMs)", sizeMs) === 0) throw new Error("Window size (sizeMs) must be larger than zero.");
    return new TimeWindows(sizeMs, sizeMs, checkMs("Grace period (afterWindowEndMs)", graceMs));
  }
  advanceBy(advanceMs: number): TimeWindows {
    if (advanceMs <= 0 || advanceMs > this.sizeMs) {
      throw new Error(`Window advancement interval should be more than zero and less than window duration which is ${this.sizeMs} ms, but given advancement interval is: ${advanceMs} ms`);
    }
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }
  gracePeriodMs(): number { return this.graceMs; }
  size(): number { return this.sizeMs; }
  /** Every window containing `timestamp`, keyed by start (Kafka's TimeWindows.windowsFor). */
  windowsFor(timestamp: number): Map<number, Window> {
    let start = Math.floor(Math.max(0, timestamp - this.sizeMs + this.advanceMs) / this.advanceMs) * this.advanceMs;
    const out = new Map<number, Window>();
    while (start <= timestamp) {
      out.set(start, new Window(start, start + this.sizeMs));
      start += this.advanceMs;
    }
    return out;
  }
}

/** Windows of fixed size defined by record timestamps: [t - size, t], both ends inclusive. */
export class SlidingWindows {
  readonly timeDifferenceMs: number;
  private readonly graceMs: number;
  private constructor(diff: number, grace: number) {
    this.timeDifferenceMs = diff;
    this.graceMs = grace;
  }
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): SlidingWindows {
    return SlidingWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): SlidingWindows {
    return new SlidingWindows(checkMs("timeDifferenceMs", timeDifferenceMs), checkMs("afterWindowEndMs", graceMs));
  }
  gracePeriodMs(): number { return this.graceMs; }
}

/** Activity sessions: records closer than the inactivity gap share a session. */
export class SessionWindows {
  readonly gapMs: number;
  private readonly graceMs: number;
  private constructor(gap: number, grace: number) {
    this.gapMs = gap;
    this.graceMs = grace;
  }
  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return SessionWindows.ofInactivityGapAndGrace(gapMs, 0);
  }
  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    if (checkMs("Gap time (inactivityGapMs)", gapMs) === 0) throw new Error("Gap time (inactivityGapMs) cannot be zero or negative.");
    return new SessionWindows(gapMs, checkMs("Grace period (afterWindowEndMs)", graceMs));
  }
  inactivityGap(): number { return this.gapMs; }
  gracePeriodMs(): number { return this.graceMs; }
}

/** Stream-stream join window: other.ts ∈ [ts - before, ts + after]. */
export class JoinWindows {
  readonly beforeMs: number;
  readonly afterMs: number;
  private readonly graceMs: number;
  private constructor(before: number, after: number, grace: number) {
    this.beforeMs = before;
    this.afterMs = after;
    this.graceMs = grace;
  }
  static ofTimeDifferenceWithNoGrace(timeDifferenceMs: number): JoinWindows {
    return JoinWindows.ofTimeDifferenceAndGrace(timeDifferenceMs, 0);
  }
  static ofTimeDifferenceAndGrace(timeDifferenceMs: number, graceMs: number): JoinWindows {
    checkMs("timeDifferenceMs", timeDifferenceMs);
    return new JoinWindows(timeDifferenceMs, timeDifferenceMs, checkMs("afterWindowEndMs", graceMs));
  }
  before(timeDifferenceMs: number): JoinWindows {
    return new JoinWindows(timeDifferenceMs, this.afterMs, this.graceMs);
  }
  after(timeDifferenceMs: number): JoinWindows {
    return new JoinWindows(this.beforeMs, timeDifferenceMs, this.graceMs);
  }
  size(): number { return this.beforeMs + this.afterMs; }
  gracePeriodMs(): number { return this.graceMs; }
}

/** Kafka's windowed key formats: time windows = key + start(8); session windows = key + end(8) + start(8). */
export const WindowedSerdes = {
  timeWindowedSerdeFrom<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
    return serdeFrom<Windowed<K>>(
      (w) => {
        const k = inner.serializer().serialize("", w.keyValue) ?? Buffer.alloc(0);
        const b = Buffer.alloc(k.length + 8);
        k.copy(b);
        writeInt64BE(b, w.windowValue.startMs, k.length);
        return b;
      },
      (b) => {
        const start = readInt64Number(b, b.length - 8);
        const key = inner.deserializer().deserialize("", b.subarray(0, b.length - 8)) as K;
        return new Windowed(key, new Window(start, Math.min(start + windowSizeMs, Number.MAX_SAFE_INTEGER)));
      },
    );
  },
  sessionWindowedSerdeFrom<K>(inner: Serde<K>): Serde<Windowed<K>> {
    return serdeFrom<Windowed<K>>(
      (w) => {
        const k = inner.serializer().serialize("", w.keyValue) ?? Buffer.alloc(0);
        const b = Buffer.alloc(k.length + 16);
        k.copy(b);
        writeInt64BE(b, w.windowValue.endMs, k.length);
        writeInt64BE(b, w.windowValue.startMs, k.length + 8);
        return b;
      },
      (b) => {
        const end = readInt64Number(b, b.length - 16);
        const start = readInt64Number(b, b.length - 8);
        const key = inner.deserializer().deserialize("", b.subarray(0, b.length - 16)) as K;
        return new Windowed(key, new Window(start, end));
      },
    );
  },
};
