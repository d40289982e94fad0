/** Kafka's TestRecord: what test topics take in and hand out. */
import type { Headers } from "../processor.ts";

export class TestRecord<K, V> {
  readonly keyValue: K;
  readonly valueValue: V;
  readonly timestampValue: number | undefined;
  readonly headersValue: Headers;
  constructor(key: K, value: V, timestamp?: number, headers: Headers = []) {
    this.keyValue = key;
    this.valueValue = value;
    this.timestampValue = timestamp;
    this.headersValue = headers;
  }
  key(): K { return this.keyValue; }
  value(): V { return this.valueValue; }
  timestamp(): number | undefined { return this.timestampValue; }
  headers(): Headers { return this.headersValue; }
  toString(): string {
    return `TestRecord[key=${String(this.keyValue)}, value=${String(this.valueValue)}, timestamp=${this.timestampValue}]`;
  }
}
