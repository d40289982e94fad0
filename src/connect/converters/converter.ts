import type { Schema } from '../data/schema.ts';

/** A value with its schema (null schema = schemaless), as Kafka's SchemaAndValue. */
export interface SchemaAndValue {
  schema: Schema | null;
  value: unknown;
}

/**
 * Kafka's Converter: Connect data ↔ the bytes of a record key or value. `configure` receives the
 * converter's own settings (the worker's or connector's `key.converter.*` / `value.converter.*`
 * with the prefix stripped) and whether it converts keys.
 */
export interface Converter {
  configure(config: Readonly<Record<string, string>>, isKey: boolean): void;
  fromConnectData(topic: string, schema: Schema | null, value: unknown): Buffer | null;
  toConnectData(topic: string, bytes: Buffer | null): SchemaAndValue;
}
