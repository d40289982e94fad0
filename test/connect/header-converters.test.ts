import { describe, expect, it } from 'vitest';
import { headerConverterFrom, SimpleHeaderConverter } from '../../src/connect/converters/header-converter.ts';
import { Logical, Schemas, Struct } from '../../src/connect/data/schema.ts';

/** Header converters: SimpleHeaderConverter's parsing (Values.parseString) and writing, and the record converters as header converters. */

describe('SimpleHeaderConverter', () => {
  const c = new SimpleHeaderConverter();
  const read = (s: string) => c.toConnectHeader('t', 'h', Buffer.from(s));

  it('reads literals as Kafka types, the smallest integer type that holds them', () => {
    expect(read('true')).toEqual({ schema: Schemas.BOOLEAN, value: true });
    expect(read('12')).toEqual({ schema: Schemas.INT8, value: 12 });
    expect(read('-300')).toEqual({ schema: Schemas.INT16, value: -300 });
    expect(read('70000')).toEqual({ schema: Schemas.INT32, value: 70000 });
    expect(read('9007199254740993')).toEqual({ schema: Schemas.INT64, value: 9007199254740993n });
    expect(read('1.5')).toEqual({ schema: Schemas.FLOAT32, value: 1.5 });
    expect(read('1e300')).toEqual({ schema: Schemas.FLOAT64, value: 1e300 });
    expect(read('2024-02-29')).toEqual({ schema: Logical.date(), value: new Date('2024-02-29T00:00:00Z') });
    expect(read('2024-02-29T10:11:12.345Z')).toEqual({ schema: Logical.timestamp(), value: new Date('2024-02-29T10:11:12.345Z') });
    expect(read('[1,2,3]').value).toEqual([1, 2, 3]);
    expect(read('{"a":1}').value).toEqual(new Map([['a', 1]]));
    expect(c.toConnectHeader('t', 'h', null)).toEqual({ schema: null, value: null });
  });

  it('keeps anything else as the original string', () => {
    for (const s of ['hello', '123:/tmp/in.txt', '12abc', '[not json', '', ' padded ']) expect(read(s)).toEqual({ schema: Schemas.STRING, value: s });
  });

  it('writes values as Values.convertToString does', () => {
    const w = (schema: Parameters<SimpleHeaderConverter['fromConnectHeader']>[2], v: unknown) => c.fromConnectHeader('t', 'h', schema, v)?.toString();
    expect(w(Schemas.STRING, 'plain "text"')).toBe('plain "text"');
    expect(w(Schemas.INT64, 42n)).toBe('42');
    expect(w(Schemas.BOOLEAN, false)).toBe('false');
    expect(w(Schemas.BYTES, Buffer.from('hi'))).toBe('aGk=');
    expect(w(null, ['a', 1, null])).toBe('["a",1,null]');
    expect(w(null, new Map([['k', 'v']]))).toBe('{"k":"v"}');
    expect(w(Logical.date(), new Date('2024-02-29T00:00:00Z'))).toBe('2024-02-29');
    expect(w(Logical.timestamp(), new Date('2024-02-29T10:11:12.345Z'))).toBe('2024-02-29T10:11:12.345Z');
    const s = new Struct(Schemas.struct([['a', Schemas.INT32], ['b', Schemas.OPTIONAL_STRING]])).put('a', 1).put('b', 'x');
    expect(w(s.schema, s)).toBe('{"a":1,"b":"x"}');
    expect(c.fromConnectHeader('t', 'h', Schemas.STRING, null)).toBeNull();
    // Round trip of text-like values is exact.
    for (const v of ['hello', '123:/tmp/in.txt']) expect(read(w(Schemas.STRING, v)!).value).toBe(v);
  });
});

describe('header.converter', () => {
  it('defaults to SimpleHeaderConverter and accepts the record converters', () => {
    expect(headerConverterFrom({})).toBeInstanceOf(SimpleHeaderConverter);
    const str = headerConverterFrom({ 'header.converter': 'org.apache.kafka.connect.storage.StringConverter' });
    expect(str.toConnectHeader('t', 'h', Buffer.from('12'))).toEqual({ schema: Schemas.OPTIONAL_STRING, value: '12' });
    const json = headerConverterFrom({ 'header.converter': 'org.apache.kafka.connect.json.JsonConverter', 'header.converter.schemas.enable': 'false' });
    expect(json.toConnectHeader('t', 'h', Buffer.from('{"a":[1]}')).value).toEqual({ a: [1] });
    expect(json.fromConnectHeader('t', 'h', Schemas.STRING, 'x')?.toString()).toBe('"x"');
    expect(() => headerConverterFrom({ 'header.converter': 'com.example.Nope' })).toThrow(/could not be found/);
  });
});
