import { describe, expect, it } from 'vitest';
import type { JsonRecord } from '../../src/cli/record-json.ts';
import { LineSplitter } from '../../src/cli/line-splitter.ts';
import { parseBootstrap, parseConfig, parseHeader, parseOffset, parsePartitions, parseTimestamp, UsageError } from '../../src/cli/parse.ts';
import { compileTemplate, TemplateError } from '../../src/cli/template.ts';

const r: JsonRecord = {
  topic: 't',
  partition: 2,
  offset: 42,
  timestamp: 1000,
  key: Buffer.from('k1'),
  value: Buffer.from('v1'),
  headers: [
    ['a', Buffer.from('x')],
    ['b', null],
  ],
};

function render(t: string, rec = r): string {
  const out: Buffer[] = [];
  compileTemplate(t)(rec, out);
  return Buffer.concat(out).toString();
}

describe('templates', () => {
  it('fills placeholders and expands escapes', () => {
    expect(render('{{key}}\\t{{value}}\\n')).toBe('k1\tv1\n');
    expect(render('{{topic}}/{{partition}}@{{offset}} ts={{timestamp}} [{{headers}}] {{header.a}}')).toBe('t/2@42 ts=1000 [a=x,b] x');
    expect(render('{{ key }}|{{value}}', { ...r, key: null })).toBe('|v1');
    expect(render('no placeholders')).toBe('no placeholders');
  });

  it('names the unknown placeholder', () => {
    expect(() => compileTemplate('{{nope}}')).toThrow(TemplateError);
    expect(() => compileTemplate('{{nope}}')).toThrow(/\{\{nope\}\}/);
  });

  it('writes key and value bytes untouched', () => {
    const bin = Buffer.from([0xff, 0x0a, 0x00]);
    const out: Buffer[] = [];
    compileTemplate('{{value}}')({ ...r, value: bin }, out);
    expect(Buffer.concat(out)).toEqual(bin);
  });
});

describe('line splitter', () => {
  function split(chunks: string[]): string[] {
    const s = new LineSplitter();
    const lines: string[] = [];
    const on = (b: Buffer, a: number, e: number) => lines.push(b.toString('utf8', a, e));
    for (const c of chunks) s.push(Buffer.from(c), on);
    s.end(on);
    return lines;
  }
  it('splits across chunk boundaries and keeps a last line without newline', () => {
    expect(split(['a\nb', 'c\n\nd', 'e'])).toEqual(['a', 'bc', '', 'de']);
    expect(split(['x\n'])).toEqual(['x']);
    expect(split(['x', 'y', 'z\n'])).toEqual(['xyz']);
    expect(split([])).toEqual([]);
    expect(split(['a\r\n'])).toEqual(['a\r']);
  });
});

describe('flag parsers', () => {
  it('bootstrap lists', () => {
    expect(parseBootstrap('127.0.0.1:9092,localhost:19092')).toEqual([
      { host: '127.0.0.1', port: 9092 },
      { host: 'localhost', port: 19092 },
    ]);
    expect(parseBootstrap('[::1]:9093')).toEqual([{ host: '::1', port: 9093 }]);
    expect(parseBootstrap('kafka')).toEqual([{ host: 'kafka', port: 9092 }]);
    expect(() => parseBootstrap('host:notaport')).toThrow(UsageError);
    expect(() => parseBootstrap(',')).toThrow(/no broker/);
  });
  it('headers and configs', () => {
    expect(parseHeader('a=b=c')).toEqual(['a', 'b=c']);
    expect(parseHeader('flag')).toEqual(['flag', null]);
    expect(() => parseHeader('=x')).toThrow(UsageError);
    expect(parseConfig('retention.ms=1000')).toEqual(['retention.ms', '1000']);
    expect(() => parseConfig('retention.ms')).toThrow(/key=value/);
  });
  it('offsets, timestamps and partitions', () => {
    expect(parseOffset('earliest')).toEqual({ type: 'earliest' });
    expect(parseOffset('latest')).toEqual({ type: 'latest' });
    expect(parseOffset('17')).toEqual({ type: 'offset', offset: 17n });
    expect(parseOffset('-5')).toEqual({ type: 'last', count: 5 });
    expect(() => parseOffset('soon')).toThrow(/--offset/);
    expect(parseTimestamp('1700000000000')).toBe(1700000000000);
    expect(parseTimestamp('2024-01-01T00:00:00Z')).toBe(1704067200000);
    expect(() => parseTimestamp('yesterday')).toThrow(UsageError);
    expect(parsePartitions('3,0-2,1')).toEqual([0, 1, 2, 3]);
    expect(() => parsePartitions('a')).toThrow(/--partition/);
  });
});
