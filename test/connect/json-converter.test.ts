import { describe, expect, it } from 'vitest';
import { JsonConverter, asConnectSchema } from '../../src/connect/converters/json-converter.ts';
import { ByteArrayConverter, StringConverter } from '../../src/connect/converters/simple-converters.ts';
import { converterFrom } from '../../src/connect/converters/index.ts';
import { Logical, Schemas, Struct, decimalFromBytes, decimalToBytes } from '../../src/connect/data/schema.ts';

const json = (schemas: boolean, extra: Record<string, string> = {}) => {
  const c = new JsonConverter();
  c.configure({ 'schemas.enable': String(schemas), ...extra }, false);
  return c;
};

describe('JsonConverter', () => {
  it('writes a string with its schema exactly as Kafka (the quickstart shape)', () => {
    const out = json(true).fromConnectData('t', Schemas.STRING, 'hello')!;
    expect(out.toString()).toBe('{"schema":{"type":"string","optional":false},"payload":"hello"}');
  });

  it('writes null schema + null value as a tombstone, and a null key schema with a value as schema null', () => {
    expect(json(true).fromConnectData('t', null, null)).toBeNull();
    expect(json(true).fromConnectData('t', null, 'x')!.toString()).toBe('{"schema":null,"payload":"x"}');
  });

  it('writes structs with Kafka’s field order (type, optional, field) and names, versions, parameters', () => {
    const s = Schemas.struct(
      [
        ['id', Schemas.INT64],
        ['name', Schemas.OPTIONAL_STRING],
        ['price', Logical.decimal(2)],
        ['ratio', Schemas.FLOAT64],
      ],
      { name: 'shop.Item', version: 2 },
    );
    const v = new Struct(s).put('id', 9007199254740993n).put('price', '12.34').put('ratio', 1);
    const text = json(true).fromConnectData('t', s, v)!.toString();
    expect(text).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},{"type":"string","optional":true,"field":"name"},' +
        '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"price"},' +
        '{"type":"double","optional":false,"field":"ratio"}],"optional":false,"name":"shop.Item","version":2},' +
        '"payload":{"id":9007199254740993,"name":null,"price":"BNI=","ratio":1.0}}',
    );
    // and back: int64 beyond 2^53 stays exact, the decimal and struct come back equal
    const back = json(true).toConnectData('t', Buffer.from(text));
    expect((back.value as Struct).equals(v)).toBe(true);
    expect((back.value as Struct).get('id')).toBe(9007199254740993n);
  });

  it('round-trips arrays, maps with string and non-string keys, bytes and logical dates', () => {
    const s = Schemas.struct([
      ['tags', Schemas.array(Schemas.STRING)],
      ['m', Schemas.map(Schemas.STRING, Schemas.INT32)],
      ['im', Schemas.map(Schemas.INT32, Schemas.STRING)],
      ['b', Schemas.BYTES],
      ['d', Logical.date()],
      ['ts', Logical.timestamp()],
    ]);
    const v = new Struct(s)
      .put('tags', ['a', 'b'])
      .put('m', new Map([['x', 1]]))
      .put('im', new Map([[1, 'one']]))
      .put('b', Buffer.from([1, 2, 3]))
      .put('d', new Date(Date.UTC(2024, 0, 2)))
      .put('ts', new Date(1700000000123));
    const bytes = json(true).fromConnectData('t', s, v)!;
    const payload = JSON.parse(bytes.toString()).payload;
    expect(payload).toEqual({ tags: ['a', 'b'], m: { x: 1 }, im: [[1, 'one']], b: 'AQID', d: 19724, ts: 1700000000123 });
    const back = json(true).toConnectData('t', bytes).value as Struct;
    expect(back.get('m')).toEqual(new Map([['x', 1]]));
    expect(back.get('im')).toEqual(new Map([[1, 'one']]));
    expect((back.get('d') as Date).toISOString()).toBe('2024-01-02T00:00:00.000Z');
    expect(back.get('b')).toEqual(Buffer.from([1, 2, 3]));
  });

  it('without schemas writes and reads the bare payload', () => {
    const c = json(false);
    expect(c.fromConnectData('t', Schemas.STRING, 'x')!.toString()).toBe('"x"');
    expect(c.toConnectData('t', Buffer.from('{"a":1,"b":[true]}'))).toEqual({ schema: null, value: { a: 1, b: [true] } });
  });

  it('rejects non-envelope JSON with Kafka’s message when schemas are enabled', () => {
    expect(() => json(true).toConnectData('t', Buffer.from('{"a":1}'))).toThrow(/requires "schema" and "payload" fields/);
    expect(() => json(true).toConnectData('t', Buffer.from('not json'))).toThrow(/serialization error/);
  });

  it('rejects a null for a required field and fills defaults', () => {
    const s = Schemas.struct([['n', Schemas.INT32]]);
    expect(() => json(true).toConnectData('t', Buffer.from(JSON.stringify({ schema: { type: 'struct', fields: [{ type: 'int32', optional: false, field: 'n' }], optional: false }, payload: { n: null } })))).toThrow(/null/);
    const withDefault = asConnectSchema({ type: 'int32', optional: false, default: 7 });
    expect(json(true).toConnect(withDefault, null)).toBe(7);
    expect(s.fields![0]!.name).toBe('n');
  });

  it('decimal.format=NUMERIC writes numbers', () => {
    expect(json(false, { 'decimal.format': 'NUMERIC' }).fromConnectData('t', Logical.decimal(2), '1.50')!.toString()).toBe('1.5');
  });
});

describe('decimal bytes (BigInteger two’s complement)', () => {
  it('encodes as Java does', () => {
    expect(decimalToBytes('12.34', 2)).toEqual(Buffer.from([0x04, 0xd2]));
    expect(decimalToBytes('-1', 0)).toEqual(Buffer.from([0xff]));
    expect(decimalToBytes('128', 0)).toEqual(Buffer.from([0x00, 0x80]));
    expect(decimalFromBytes(Buffer.from([0xff, 0x7f]), 1)).toBe('-12.9');
  });
});

describe('String and ByteArray converters', () => {
  it('StringConverter writes text and reads optional strings', () => {
    const c = new StringConverter();
    c.configure({});
    expect(c.fromConnectData('t', null, 42)!.toString()).toBe('42');
    expect(c.toConnectData('t', Buffer.from('hé'))).toEqual({ schema: Schemas.OPTIONAL_STRING, value: 'hé' });
    expect(c.toConnectData('t', null).value).toBeNull();
  });

  it('ByteArrayConverter passes bytes and refuses other schemas', () => {
    const c = new ByteArrayConverter();
    expect(c.fromConnectData('t', Schemas.BYTES, Buffer.from('ab'))).toEqual(Buffer.from('ab'));
    expect(() => c.fromConnectData('t', Schemas.STRING, 'x')).toThrow(/Invalid schema type/);
  });

  it('converterFrom picks the class and passes its prefixed settings', () => {
    const c = converterFrom({ 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' }, 'value.converter') as JsonConverter;
    expect(c.schemasEnabled).toBe(false);
    expect(() => converterFrom({ 'key.converter': 'io.confluent.connect.avro.AvroConverter' }, 'key.converter')).toThrow(/AvroConverter could not be found/);
  });
});
