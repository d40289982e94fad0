/** Kafka's Suppressed and BufferConfig: untilWindowCloses (final results) and untilTimeLimit. */
export class BufferConfig {
  readonly maxRecordsValue?: number;
  readonly maxBytesValue?: number;
  readonly onFull: "shutdown" | "emitEarly";
  private constructor(maxRecords: number | undefined, maxBytes: number | undefined, onFull: "shutdown" | "emitEarly") {
    this.maxRecordsValue = maxRecords;
    this.maxBytesValue = maxBytes;
    this.onFull = onFull;
  }
  static unbounded(): BufferConfig { return new BufferConfig(undefined, undefined, "shutdown"); }
  static maxRecords(n: number): BufferConfig { return new BufferConfig(n, undefined, "emitEarly"); }
  static maxBytes(n: number): BufferConfig { return new BufferConfig(undefined, n, "emitEarly"); }
  withMaxRecords(n: number): BufferConfig { return new BufferConfig(n, this.maxBytesValue, this.onFull); }
  shutDownWhenFull(): BufferConfig { return new BufferConfig(this.maxRecordsValue, this.maxBytesValue, "shutdown"); }
  emitEarlyWhenFull(): BufferConfig { return new BufferConfig(this.maxRecordsValue, this.maxBytesValue, "emitEarly"); }
}

export class Suppressed {
  readonly kind: "windowCloses" | "timeLimit";
  readonly timeLimitMs: number;
  readonly buffer: BufferConfig;
  readonly name?: string;
  private constructor(kind: "windowCloses" | "timeLimit", timeLimitMs: number, buffer: BufferConfig, name?: string) {
    this.kind = kind;
    this.timeLimitMs = timeLimitMs;
    this.buffer = buffer;
    this.name = name;
  }
  /** Emit only the final result of each window, once stream time passes window end + grace. */
  static untilWindowCloses(buffer: BufferConfig): Suppressed {
    if (buffer.onFull !== "shutdown") throw new Error("untilWindowCloses needs a strict buffer config (unbounded() or shutDownWhenFull()) so no early result is emitted");
    return new Suppressed("windowCloses", 0, buffer);
  }
  /** Hold each key's latest update for timeToWaitForMoreEventsMs of stream time. */
  static untilTimeLimit(timeToWaitForMoreEventsMs: number, buffer: BufferConfig): Suppressed {
    return new Suppressed("timeLimit", timeToWaitForMoreEventsMs, buffer);
  }
  withName(name: string): Suppressed { return new Suppressed(this.kind, this.timeLimitMs, this.buffer, name); }
}
