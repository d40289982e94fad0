import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsonRecordError, formatJsonRecord, parseJsonRecord, type JsonRecord, type Header } from '../../src/cli/record-json.ts';

const rec = (over: Partial<JsonRecord>): JsonRecord => ({
  topic: 'demo',
  partition: 0,
  offset: 0,
  timestamp: 1700000000000,
  key: null,
  value: null,
  headers: [],
  ...over,
});

describe('JSON envelope', () => {
  it('embeds canonical JSON values and reads them back to the same bytes', () => {
    const line = formatJsonRecord(rec({ key: Buffer.from('k'), value: Buffer.from('{"a":1}') }));
    expect(line).toBe('{"topic":"demo","partition":0,"offset":0,"timestamp":1700000000000,"key":"k","value":{"a":1},"headers":[]}');
    const back = parseJsonRecord(line);
    expect(back.value?.toString()).toBe('{"a":1}');
    expect(back.key?.toString()).toBe('k');
    expect(back.partition).toBe(0);
    expect(back.timestamp).toBe(1700000000000);
  });

  it('embeds any one-line JSON value verbatim, and keeps JSON strings, null and non-JSON as strings', () => {
    for (const v of ['{"a": 1}', '1.0', '12345678901234567890', '{"a":1,"a":2}', '[ ]', 'true', '-0', '{"é":"\\u00e9"}']) {
      const line = formatJsonRecord(rec({ value: Buffer.from(v) }));
      expect(line).toContain(`"value":${v},`);
      expect(parseJsonRecord(line).value?.toString()).toBe(v);
    }
    for (const v of ['"quoted"', 'null', 'hello', '', ' {"a":1}', '{"a":\n1}', '01', '{"a":1}x', '[1,]', 'nul', 'tru']) {
      const line = formatJsonRecord(rec({ value: Buffer.from(v) }));
      expect(JSON.parse(line).value).toBe(v);
      expect(parseJsonRecord(line).value?.toString()).toBe(v);
    }
  });

  it('takes a non-string value as its JSON text exactly as written', () => {
    expect(parseJsonRecord('{"value": {"b" : [1, 2.50]} }').value?.toString()).toBe('{"b" : [1, 2.50]}');
    expect(parseJsonRecord('{"key":7,"value":false}').key?.toString()).toBe('7');
    expect(parseJsonRecord('{"key":"a\\"b\\u00e9","value":"x"}').key?.toString()).toBe('a"bé');
    expect(parseJsonRecord('{"value":"v","value":"w"}').value?.toString()).toBe('w');
    expect(parseJsonRecord('{"topic":"t","offset":9,"timestampType":"CreateTime","value":"v"}').value?.toString()).toBe('v');
  });

  it('accepts the issue example: a JSON object value is written as its JSON text', () => {
    const p = parseJsonRecord('{"key":"k","value":{"a":1}}');
    expect(p.key).toEqual(Buffer.from('k'));
    expect(p.value).toEqual(Buffer.from('{"a":1}'));
    expect(p.partition).toBeUndefined();
    expect(p.timestamp).toBeUndefined();
    expect(p.headers).toEqual([]);
  });

  it('writes non-UTF-8 bytes as base64 and reads them back', () => {
    const bin = Buffer.from([0xff, 0x00, 0xfe]);
    const line = formatJsonRecord(rec({ key: bin, value: bin, headers: [['h', bin]] }));
    const o = JSON.parse(line);
    expect(o.keyEncoding).toBe('base64');
    expect(o.valueEncoding).toBe('base64');
    expect(o.headers).toEqual([['h', bin.toString('base64'), 'base64']]);
    const back = parseJsonRecord(line);
    expect(back.key).toEqual(bin);
    expect(back.value).toEqual(bin);
    expect(back.headers).toEqual([['h', bin]]);
  });

  it('accepts headers as an object and ISO timestamps', () => {
    const p = parseJsonRecord('{"value":"v","headers":{"a":"1","b":["2","3"]},"timestamp":"2024-01-01T00:00:00Z"}');
    expect(p.headers).toEqual([
      ['a', Buffer.from('1')],
      ['b', Buffer.from('2')],
      ['b', Buffer.from('3')],
    ]);
    expect(p.timestamp).toBe(Date.parse('2024-01-01T00:00:00Z'));
  });

  it('rejects malformed lines with a clear message', () => {
    expect(() => parseJsonRecord('nope')).toThrow(JsonRecordError);
    expect(() => parseJsonRecord('{"value":"x"')).toThrow(/not valid JSON/);
    expect(() => parseJsonRecord('{"value":"x"} trailing')).toThrow(/not valid JSON/);
    expect(() => parseJsonRecord('{"value":[1,]}')).toThrow(/not valid JSON/);
    expect(() => parseJsonRecord('{"value":"a\tb"}')).toThrow(/control character/);
    expect(() => parseJsonRecord('[1]')).toThrow(/expected a JSON object/);
    expect(() => parseJsonRecord('{"partition":-1}')).toThrow(/partition/);
    expect(() => parseJsonRecord('{"timestamp":"yesterday"}')).toThrow(/timestamp/);
    expect(() => parseJsonRecord('{"headers":[["k"]]}')).toThrow(/headers\[0\]/);
    expect(() => parseJsonRecord('{"value":"x","valueEncoding":"hex"}')).toThrow(/valueEncoding/);
  });

  it('refuses what would silently damage data: typos, a missing value, bad base64, negative timestamps', () => {
    const err = (line: string) => {
      try {
        parseJsonRecord(line);
      } catch (e) {
        return e as JsonRecordError;
      }
      throw new Error(`accepted: ${line}`);
    };
    expect(err('{"vaule":1}').message).toBe('unknown field "vaule" (did you mean "value"?); fields are key, value, headers, partition, timestamp, keyEncoding, valueEncoding');
    expect(err('{"vaule":1}').pos).toBe(1);
    expect(err('{"key":"k","extra":{"x":[null]},"value":"v"}').message).toMatch(/^unknown field "extra"/);
    expect(err('{}').message).toBe('missing "value" (write "value":null for a tombstone)');
    expect(err('{"key":"k"}').message).toMatch(/missing "value"/);
    expect(parseJsonRecord('{"key":"k","value":null}').value).toBeNull();
    expect(err('{"value":"@@not base64!","valueEncoding":"base64"}').message).toBe('"value" is not valid base64');
    expect(err('{"value":"@@not base64!","valueEncoding":"base64"}').pos).toBe(9);
    expect(err('{"value":"x","key":"a=b","keyEncoding":"base64"}').message).toMatch(/"key" is not valid base64/);
    expect(parseJsonRecord('{"value":"aGk","valueEncoding":"base64"}').value?.toString()).toBe('hi');
    expect(err('{"value":"x","timestamp":-5}').message).toMatch(/"timestamp" must not be negative/);
    expect(err('{"value":"x","timestamp":-5}').pos).toBe(25);
    expect(err('{"value":"x" "key":1}').message).toBe("not valid JSON: expected ',' or '}'");
    expect(err('{"value":"x" "key":1}').pos).toBe(13);
  });

  it('round-trips any record exactly (property)', () => {
    const bytes = fc.oneof(
      fc.constant(null),
      fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
      fc.string().map((s) => Buffer.from(s)),
      fc.json().map((s) => Buffer.from(s)),
    );
    const header = fc.tuple(fc.string(), bytes).map(([k, v]) => [k, v] as Header);
    fc.assert(
      fc.property(bytes, bytes, fc.array(header, { maxLength: 4 }), fc.nat(), fc.nat(), (key, value, headers, partition, ts) => {
        const r = rec({ key, value, headers, partition, timestamp: ts });
        const line = formatJsonRecord(r);
        JSON.parse(line); // always valid JSON
        const back = parseJsonRecord(line);
        expect(back.key).toEqual(key);
        expect(back.value).toEqual(value);
        expect(back.headers).toEqual(headers);
        expect(back.partition).toBe(partition);
        expect(back.timestamp).toBe(ts);
        // And the line itself is stable: format(parse(line)) === line.
        expect(formatJsonRecord(rec({ ...back, timestamp: back.timestamp!, partition: back.partition! }))).toBe(line);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('JSON scanner', () => {
  it('accepts exactly what JSON.parse accepts (single-line values without surrounding space)', async () => {
    const { wholeJsonValue } = await import('../../src/cli/json-scan.ts');
    const agree = (s: string) => {
      if (/[\n\r]/.test(s) || s !== s.trim()) return;
      let ok = true;
      try {
        JSON.parse(s);
      } catch {
        ok = false;
      }
      expect(wholeJsonValue(Buffer.from(s)) !== 0, s).toBe(ok);
    };
    fc.assert(fc.property(fc.json(), agree), { numRuns: 1000 });
    // Near misses: random edits of valid JSON.
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom('', ',', '"', '\\', '}', ']', '-', '0', 'e', '.', ' '), (j, at, ins) => {
        const i = at % (j.length + 1);
        agree(j.slice(0, i) + ins + j.slice(i));
        agree(j.slice(0, i) + j.slice(i + 1));
      }),
      { numRuns: 3000 },
    );
    for (const s of ['01', '-', '1.', '.5', '1e', '1e+', '"\\x"', '"\\u12"', '[1,]', '{"a"}', '{,}', 'nulll', 'true false', '"a\u0001"']) agree(s);
  });
});
