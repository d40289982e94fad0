import {
  DataException,
  LOGICAL,
  Schemas,
  Struct,
  inferType,
  isLogical,
  logicalToPrimitive,
  primitiveToLogical,
  type Schema,
  type SchemaType,
} from '../data/schema.ts';
import type { Converter, SchemaAndValue } from './converter.ts';
import { JsonDouble, parseJson, writeJson, type JsonValue } from './json-text.ts';

/**
 * org.apache.kafka.connect.json.JsonConverter. With `schemas.enable=true` (the default) every value is
 * the envelope `{"schema":…,"payload":…}` with the schema in Kafka's JSON form (type, fields/items/keys/
 * values, optional, name, version, doc, parameters, default — in that order); without it, the bare
 * payload. Null schema and null value → null bytes (a tombstone), as Kafka. Decimals are written
 * base64 (`decimal.format=BASE64`, the default) or as numbers (`NUMERIC`).
 */

const TYPE_TO_JSON: Record<SchemaType, string> = {
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  float32: 'float',
  float64: 'double',
  boolean: 'boolean',
  string: 'string',
  bytes: 'bytes',
  array: 'array',
  map: 'map',
  struct: 'struct',
};
const JSON_TO_TYPE: Record<string, SchemaType> = Object.fromEntries(Object.entries(TYPE_TO_JSON).map(([k, v]) => [v, k as SchemaType]));

export class JsonConverter implements Converter {
  schemasEnabled = true;
  decimalNumeric = false;
  replaceNullWithDefault = true;

  configure(config: Readonly<Record<string, string>>, _isKey: boolean): void {
    this.schemasEnabled = (config['schemas.enable'] ?? 'true').toLowerCase() !== 'false';
    const fmt = (config['decimal.format'] ?? 'BASE64').toUpperCase();
    if (fmt !== 'BASE64' && fmt !== 'NUMERIC') throw new Error(`Invalid value ${config['decimal.format']} for configuration decimal.format: must be BASE64 or NUMERIC`);
    this.decimalNumeric = fmt === 'NUMERIC';
    this.replaceNullWithDefault = (config['replace.null.with.default'] ?? 'true').toLowerCase() !== 'false';
  }

  fromConnectData(_topic: string, schema: Schema | null, value: unknown): Buffer | null {
    if (schema === null && (value === null || value === undefined)) return null;
    const payload = this.toJson(schema, value);
    const tree: JsonValue = this.schemasEnabled ? { schema: schema ? asJsonSchema(schema, this) : null, payload } : payload;
    return Buffer.from(writeJson(tree));
  }

  toConnectData(_topic: string, bytes: Buffer | null): SchemaAndValue {
    if (bytes === null) return { schema: null, value: null };
    let json: unknown;
    try {
      json = parseJson(bytes.toString('utf8'));
    } catch (e) {
      throw new DataException(`Converting byte[] to Kafka Connect data failed due to serialization error: ${(e as Error).message}`);
    }
    if (this.schemasEnabled) {
      if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length !== 2 || !('schema' in json) || !('payload' in json)) {
        throw new DataException(
          'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.',
        );
      }
      const env = json as { schema: unknown; payload: unknown };
      const schema = env.schema === null ? null : asConnectSchema(env.schema);
      return { schema, value: this.toConnect(schema, env.payload) };
    }
    return { schema: null, value: this.toConnect(null, json) };
  }

  /** Connect value → JSON tree (JsonConverter.convertToJson). */
  toJson(schema: Schema | null, value: unknown): JsonValue {
    if (value === null || value === undefined) {
      if (schema === null) return null;
      if (schema.defaultValue !== undefined && schema.defaultValue !== null && this.replaceNullWithDefault) return this.toJson(schema, schema.defaultValue);
      if (schema.optional) return null;
      throw new DataException('Conversion error: null value for field that is required and has no default value');
    }
    if (schema && isLogical(schema)) {
      if (schema.name === LOGICAL.DECIMAL && this.decimalNumeric) return Number(String(value));
      return this.toJson({ ...schema, name: undefined }, logicalToPrimitive(schema, value));
    }
    const type = schema?.type ?? inferType(value);
    if (type === null) throw new DataException(`${typeof value} does not have corresponding schema type.`);
    const bad = () => new DataException(`Invalid type for ${schema ? schema.type.toUpperCase() : 'unknown schema'}: ${typeof value}`);
    switch (type) {
      case 'int8':
      case 'int16':
      case 'int32':
        if (typeof value !== 'number') throw bad();
        return value;
      case 'int64':
        if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value;
        if (typeof value !== 'number') throw bad();
        return value;
      case 'float32':
      case 'float64':
        if (typeof value !== 'number') throw bad();
        return new JsonDouble(value);
      case 'boolean':
        if (typeof value !== 'boolean') throw bad();
        return value;
      case 'string':
        if (typeof value !== 'string') throw bad();
        return value;
      case 'bytes':
        if (!(value instanceof Uint8Array)) throw bad();
        return Buffer.from(value).toString('base64');
      case 'array':
        if (!Array.isArray(value)) throw bad();
        return value.map((v) => this.toJson(schema?.valueSchema ?? null, v));
      case 'map': {
        const entries: Array<[unknown, unknown]> = value instanceof Map ? [...value.entries()] : Object.entries(value as object);
        const objectMode = schema ? schema.keySchema!.type === 'string' : entries.every(([k]) => typeof k === 'string');
        if (objectMode) {
          const out: Record<string, JsonValue> = {};
          for (const [k, v] of entries) out[String(this.toJson(schema?.keySchema ?? null, k))] = this.toJson(schema?.valueSchema ?? null, v);
          return out;
        }
        return entries.map(([k, v]) => [this.toJson(schema?.keySchema ?? null, k), this.toJson(schema?.valueSchema ?? null, v)]);
      }
      case 'struct': {
        if (!(value instanceof Struct)) throw bad();
        const s = schema ?? value.schema;
        const out: Record<string, JsonValue> = {};
        for (const f of s.fields!) out[f.name] = this.toJson(f.schema, value.getWithoutDefault(f.name));
        return out;
      }
    }
  }

  /** JSON tree → Connect value (JsonConverter.convertToConnect). */
  toConnect(schema: Schema | null, json: unknown): unknown {
    if (schema === null) return json === undefined ? null : json;
    if (json === null || json === undefined) {
      if (schema.defaultValue !== undefined && schema.defaultValue !== null && this.replaceNullWithDefault) return schema.defaultValue;
      if (schema.optional) return null;
      throw new DataException(`Invalid null value for required ${schema.type.toUpperCase()} field`);
    }
    if (isLogical(schema)) {
      if (schema.name === LOGICAL.DECIMAL) {
        if (typeof json === 'number' || typeof json === 'bigint') return String(json);
        return primitiveToLogical(schema, Buffer.from(String(json), 'base64'));
      }
      return primitiveToLogical(schema, typeof json === 'bigint' ? Number(json) : json);
    }
    const bad = () => new DataException(`Invalid JSON for ${schema.type} field: ${JSON.stringify(typeof json === 'bigint' ? String(json) : json)}`);
    switch (schema.type) {
      case 'int8':
      case 'int16':
      case 'int32':
      case 'float32':
      case 'float64':
        if (typeof json !== 'number') throw bad();
        return json;
      case 'int64':
        if (typeof json !== 'number' && typeof json !== 'bigint') throw bad();
        return json;
      case 'boolean':
        if (typeof json !== 'boolean') throw bad();
        return json;
      case 'string':
        if (typeof json !== 'string') throw bad();
        return json;
      case 'bytes':
        if (typeof json !== 'string') throw bad();
        return Buffer.from(json, 'base64');
      case 'array':
        if (!Array.isArray(json)) throw bad();
        return json.map((v) => this.toConnect(schema.valueSchema!, v));
      case 'map': {
        const m = new Map<unknown, unknown>();
        if (schema.keySchema!.type === 'string') {
          if (typeof json !== 'object' || Array.isArray(json)) throw bad();
          for (const [k, v] of Object.entries(json as object)) m.set(k, this.toConnect(schema.valueSchema!, v));
        } else {
          if (!Array.isArray(json)) throw bad();
          for (const pair of json) {
            if (!Array.isArray(pair) || pair.length !== 2) throw new DataException('Found invalid map entry instead of array tuple');
            m.set(this.toConnect(schema.keySchema!, pair[0]), this.toConnect(schema.valueSchema!, pair[1]));
          }
        }
        return m;
      }
      case 'struct': {
        if (typeof json !== 'object' || Array.isArray(json)) throw new DataException(`Structs should be encoded as JSON objects, but found ${typeof json}`);
        const s = new Struct(schema);
        for (const f of schema.fields!) s.put(f.name, this.toConnect(f.schema, (json as Record<string, unknown>)[f.name] ?? null));
        return s;
      }
    }
  }
}

/** Connect schema → Kafka's JSON schema form (JsonConverter.asJsonSchema), key order included. */
export function asJsonSchema(schema: Schema, conv?: JsonConverter): { [key: string]: JsonValue } {
  const out: { [key: string]: JsonValue } = { type: TYPE_TO_JSON[schema.type] };
  if (schema.type === 'array') out.items = asJsonSchema(schema.valueSchema!, conv);
  if (schema.type === 'map') {
    out.keys = asJsonSchema(schema.keySchema!, conv);
    out.values = asJsonSchema(schema.valueSchema!, conv);
  }
  if (schema.type === 'struct') out.fields = schema.fields!.map((f) => ({ ...asJsonSchema(f.schema, conv), field: f.name }));
  out.optional = schema.optional;
  if (schema.name !== undefined) out.name = schema.name;
  if (schema.version !== undefined) out.version = schema.version;
  if (schema.doc !== undefined) out.doc = schema.doc;
  if (schema.parameters !== undefined) out.parameters = { ...schema.parameters };
  if (schema.defaultValue !== undefined && schema.defaultValue !== null) out.default = (conv ?? new JsonConverter()).toJson(schema, schema.defaultValue);
  return out;
}

/** Kafka's JSON schema form → Connect schema (JsonConverter.asConnectSchema). */
export function asConnectSchema(json: unknown): Schema {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new DataException('Schema must be a JSON object');
  const j = json as Record<string, unknown>;
  const typeName = j.type;
  if (typeof typeName !== 'string') throw new DataException('Schema must contain \'type\' field');
  const type = JSON_TO_TYPE[typeName];
  if (!type) throw new DataException(`Unknown schema type: ${typeName}`);
  const opts = {
    optional: j.optional === true,
    name: typeof j.name === 'string' ? j.name : undefined,
    version: typeof j.version === 'number' ? j.version : undefined,
    doc: typeof j.doc === 'string' ? j.doc : undefined,
    parameters: j.parameters && typeof j.parameters === 'object' ? (Object.fromEntries(Object.entries(j.parameters).map(([k, v]) => [k, String(v)])) as Record<string, string>) : undefined,
  };
  let schema: Schema;
  if (type === 'array') {
    if (j.items === undefined) throw new DataException('Array schema did not specify the element type');
    schema = Schemas.array(asConnectSchema(j.items), opts);
  } else if (type === 'map') {
    if (j.keys === undefined || j.values === undefined) throw new DataException('Map schema did not specify the key and value types');
    schema = Schemas.map(asConnectSchema(j.keys), asConnectSchema(j.values), opts);
  } else if (type === 'struct') {
    if (!Array.isArray(j.fields)) throw new DataException('Struct schema\'s "fields" argument is not an array.');
    schema = Schemas.struct(
      j.fields.map((f: unknown) => {
        const name = (f as Record<string, unknown>)?.field;
        if (typeof name !== 'string') throw new DataException('Struct schema\'s field name not specified properly');
        return [name, asConnectSchema(f)] as [string, Schema];
      }),
      opts,
    );
  } else {
    schema = Schemas.primitive(type, opts);
  }
  if (j.default !== undefined && j.default !== null) {
    const v = new JsonConverter().toConnect({ ...schema, optional: true }, j.default);
    schema = { ...schema, defaultValue: v };
  }
  return schema;
}
