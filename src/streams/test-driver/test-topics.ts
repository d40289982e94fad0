/**
 * TestInputTopic / TestOutputTopic (Kafka's names): serialize what a test pipes in, deserialize what the
 * topology wrote. Input timestamps come from the caller or advance from a start time, as Kafka's do.
 */
import { KeyValue } from "../key-value.ts";
import type { Deserializer, Serde, Serializer } from "../serdes.ts";
import type { RawRecord } from "../runtime/task-graph.ts";
import { TestRecord } from "./test-record.ts";

export type SerializerLike<T> = Serializer<T> | Serde<T>;
export type DeserializerLike<T> = Deserializer<T> | Serde<T>;
const toSer = <T>(s: SerializerLike<T>): Serializer<T> => ("serializer" in s ? s.serializer() : s);
const toDe = <T>(d: DeserializerLike<T>): Deserializer<T> => ("deserializer" in d ? d.deserializer() : d);

export class TestInputTopic<K, V> {
  private readonly topic: string;
  private readonly keySer: Serializer<K>;
  private readonly valueSer: Serializer<V>;
  private readonly pipe: (topic: string, r: RawRecord) => void;
  private currentTime: number;
  private readonly advanceMs: number;

  /** @internal created by TopologyTestDriver.createInputTopic */
  constructor(topic: string, keySer: SerializerLike<K>, valueSer: SerializerLike<V>, pipe: (topic: string, r: RawRecord) => void, startTimestamp: number, autoAdvanceMs: number) {
    if (autoAdvanceMs < 0) throw new Error("autoAdvance must be positive");
    this.topic = topic;
    this.keySer = toSer(keySer);
    this.valueSer = toSer(valueSer);
    this.pipe = pipe;
    this.currentTime = startTimestamp;
    this.advanceMs = autoAdvanceMs;
  }

  advanceTime(ms: number): void {
    if (ms < 0) throw new Error("advance must be positive");
    this.currentTime += ms;
  }

  pipeInput(record: TestRecord<K, V>): void;
  pipeInput(value: V | null): void;
  pipeInput(key: K | null, value: V | null, timestampMs?: number): void;
  pipeInput(...args: unknown[]): void {
    let rec: TestRecord<K, V>;
    if (args.length === 1 && args[0] instanceof TestRecord) rec = args[0] as TestRecord<K, V>;
    else if (args.length === 1) rec = new TestRecord<K, V>(null as K, args[0] as V);
    else rec = new TestRecord<K, V>(args[0] as K, args[1] as V, args[2] as number | undefined);
    let ts = rec.timestamp();
    if (ts === undefined) {
      ts = this.currentTime;
      this.currentTime += this.advanceMs;
    }
    this.pipe(this.topic, {
      key: this.keySer.serialize(this.topic, rec.key()),
      value: this.valueSer.serialize(this.topic, rec.value()),
      timestamp: ts,
      headers: rec.headers(),
    });
  }

  pipeValueList(values: V[]): void {
    for (const v of values) this.pipeInput(new TestRecord<K, V>(null as K, v));
  }
  pipeKeyValueList(kvs: Array<KeyValue<K, V> | { key: K; value: V }>, startTimestamp?: number, advanceMs = 0): void {
    let t = startTimestamp;
    for (const kv of kvs) {
      this.pipeInput(new TestRecord<K, V>(kv.key, kv.value, t));
      if (t !== undefined) t += advanceMs;
    }
  }
  pipeRecordList(records: Array<TestRecord<K, V>>): void {
    for (const r of records) this.pipeInput(r);
  }
}

export class TestOutputTopic<K, V> {
  private readonly topic: string;
  private readonly keyDe: Deserializer<K>;
  private readonly valueDe: Deserializer<V>;
  private readonly queue: RawRecord[];

  /** @internal created by TopologyTestDriver.createOutputTopic */
  constructor(topic: string, keyDe: DeserializerLike<K>, valueDe: DeserializerLike<V>, queue: RawRecord[]) {
    this.topic = topic;
    this.keyDe = toDe(keyDe);
    this.valueDe = toDe(valueDe);
    this.queue = queue;
  }

  readRecord(): TestRecord<K, V> {
    const raw = this.queue.shift();
    if (!raw) throw new Error(`Empty topic: ${this.topic}`);
    return new TestRecord(this.keyDe.deserialize(this.topic, raw.key) as K, this.valueDe.deserialize(this.topic, raw.value) as V, raw.timestamp, raw.headers);
  }
  readValue(): V { return this.readRecord().value(); }
  readKeyValue(): KeyValue<K, V> {
    const r = this.readRecord();
    return new KeyValue(r.key(), r.value());
  }
  readRecordsToList(): Array<TestRecord<K, V>> {
    const out: Array<TestRecord<K, V>> = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }
  readValuesToList(): V[] { return this.readRecordsToList().map((r) => r.value()); }
  readKeyValuesToList(): Array<KeyValue<K, V>> { return this.readRecordsToList().map((r) => new KeyValue(r.key(), r.value())); }
  /** Latest value per key; a null value (tombstone) removes the key, as in Kafka. */
  readKeyValuesToMap(): Map<K, V> {
    const m = new Map<K, V>();
    for (const r of this.readRecordsToList()) {
      if (r.key() === null || r.key() === undefined) throw new Error("Null keys not allowed with readKeyValuesToMap method");
      if (r.value() === null) m.delete(r.key());
      else m.set(r.key(), r.value());
    }
    return m;
  }
  getQueueSize(): number { return this.queue.length; }
  isEmpty(): boolean { return this.queue.length === 0; }
  toString(): string { return `TestOutputTopic[topic='${this.topic}', size=${this.queue.length}]`; }
}
