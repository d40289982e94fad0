import { DataException, Schemas, Struct, type Schema } from '../data/schema.ts';
import type { Converter, SchemaAndValue } from './converter.ts';

/** org.apache.kafka.connect.storage.StringConverter: value.toString() as UTF-8; reads optional strings. */
export class StringConverter implements Converter {
  configure(config: Readonly<Record<string, string>>): void {
    const enc = (config['converter.encoding'] ?? config.encoding ?? 'UTF-8').toUpperCase().replace('-', '');
    if (enc !== 'UTF8') throw new Error(`StringConverter: only UTF-8 is supported (converter.encoding=${config['converter.encoding'] ?? config.encoding})`);
  }

  fromConnectData(_topic: string, _schema: Schema | null, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (Buffer.isBuffer(value)) return Buffer.from(value.toString('utf8'));
    return Buffer.from(value instanceof Struct ? value.toString() : typeof value === 'object' ? JSON.stringify(value) : String(value));
  }

  toConnectData(_topic: string, bytes: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_STRING, value: bytes === null ? null : bytes.toString('utf8') };
  }
}

/** org.apache.kafka.connect.converters.ByteArrayConverter: bytes through unchanged. */
export class ByteArrayConverter implements Converter {
  configure(): void {}

  fromConnectData(_topic: string, schema: Schema | null, value: unknown): Buffer | null {
    if (schema !== null && schema.type !== 'bytes') throw new DataException(`Invalid schema type for ByteArrayConverter: ${schema.type.toUpperCase()}`);
    if (value === null || value === undefined) return null;
    if (!(value instanceof Uint8Array)) throw new DataException(`ByteArrayConverter is not compatible with objects of type ${typeof value}`);
    return Buffer.from(value);
  }

  toConnectData(_topic: string, bytes: Buffer | null): SchemaAndValue {
    return { schema: Schemas.OPTIONAL_BYTES, value: bytes };
  }
}
