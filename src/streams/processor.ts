/**
 * The Processor API (Kafka's org.apache.kafka.streams.processor.api): records, processors, their context,
 * punctuation. The DSL compiles to these; users write them for `process`/`processValues`/`addProcessor`.
 */
import type { Serde } from "./serdes.ts";
import type { StateStore } from "./state/state-store.ts";

export type Headers = Array<{ key: string; value: Buffer | null }>;

/** An immutable record; the with* methods return copies, as in Kafka. */
export class Record<K, V> {
  readonly keyValue: K;
  readonly valueValue: V;
  readonly timestampValue: number;
  readonly headersValue: Headers;
  constructor(key: K, value: V, timestamp: number, headers: Headers = []) {
    if (timestamp < 0) throw new Error(`Malformed Record: timestamp may not be negative. Got: ${timestamp}`);
    this.keyValue = key;
    this.valueValue = value;
    this.timestampValue = timestamp;
    this.headersValue = headers;
  }
  key(): K { return this.keyValue; }
  value(): V { return this.valueValue; }
  timestamp(): number { return this.timestampValue; }
  headers(): Headers { return this.headersValue; }
  withKey<K2>(key: K2): Record<K2, V> { return new Record(key, this.valueValue, this.timestampValue, this.headersValue); }
  withValue<V2>(value: V2): Record<K, V2> { return new Record(this.keyValue, value, this.timestampValue, this.headersValue); }
  withTimestamp(ts: number): Record<K, V> { return new Record(this.keyValue, this.valueValue, ts, this.headersValue); }
  withHeaders(h: Headers): Record<K, V> { return new Record(this.keyValue, this.valueValue, this.timestampValue, h); }
}

export const PunctuationType = { STREAM_TIME: "STREAM_TIME", WALL_CLOCK_TIME: "WALL_CLOCK_TIME" } as const;
export type PunctuationType = (typeof PunctuationType)[keyof typeof PunctuationType];
export type Punctuator = (timestamp: number) => void;
export interface Cancellable {
  cancel(): void;
}

/** Where the record being processed came from (absent for punctuation-generated records). */
export interface RecordMetadata {
  topic(): string;
  partition(): number;
  offset(): number;
}

export interface TaskId {
  subtopology: number;
  partition: number;
}

export interface ProcessorContext<KForward = unknown, VForward = unknown> {
  applicationId(): string;
  taskId(): TaskId;
  recordMetadata(): RecordMetadata | undefined;
  keySerde(): Serde<unknown> | undefined;
  valueSerde(): Serde<unknown> | undefined;
  appConfigs(): Readonly<{ [key: string]: unknown }>;
  /** Forward to all children, or only to the named child. */
  forward<K extends KForward, V extends VForward>(record: Record<K, V>, childName?: string): void;
  getStateStore<S extends StateStore>(name: string): S;
  schedule(intervalMs: number, type: PunctuationType, callback: Punctuator): Cancellable;
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /** Request a commit as soon as possible (the runtime commits on its interval anyway). */
  commit(): void;
}

/** processValues: the key may not change, so no repartitioning is needed. */
export interface FixedKeyProcessorContext<K, VForward> extends Omit<ProcessorContext<K, VForward>, "forward"> {
  forward(record: Record<K, VForward>, childName?: string): void;
}

export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: Record<KIn, VIn>): void;
  close?(): void;
}
export interface FixedKeyProcessor<K, VIn, VOut = never> {
  init?(context: FixedKeyProcessorContext<K, VOut>): void;
  process(record: Record<K, VIn>): void;
  close?(): void;
}

/** Kafka's ProcessorSupplier: a fresh processor per task. A plain factory function is accepted too. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> =
  | { get(): Processor<KIn, VIn, KOut, VOut> }
  | (() => Processor<KIn, VIn, KOut, VOut>);
export type FixedKeyProcessorSupplier<K, VIn, VOut = never> =
  | { get(): FixedKeyProcessor<K, VIn, VOut> }
  | (() => FixedKeyProcessor<K, VIn, VOut>);

export function supply<T>(s: { get(): T } | (() => T)): T {
  return typeof s === "function" ? s() : s.get();
}
