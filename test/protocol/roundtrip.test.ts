import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { inVersions, loadSchemas, moduleName, SampleBuilder, versionRange, type Schema } from './schema-samples.ts';

/**
 * Every generated message (requests, responses, headers, data schemas) at every valid version:
 * a sample filled with non-trivial values from the schema survives encode → decode unchanged, and
 * re-encoding the decoded value reproduces the bytes exactly.
 */
const schemas = loadSchemas();
const modules = new Map<string, Record<string, any>>();
async function codec(s: Schema): Promise<{ encode: Function; decode: Function }> {
  const file = moduleName(s);
  let mod = modules.get(file);
  if (!mod) {
    mod = (await import(`../../src/protocol/messages/${file}.ts`)) as Record<string, any>;
    modules.set(file, mod);
  }
  const encode = mod[`encode${s.name}`];
  const decode = mod[`decode${s.name}`];
  if (typeof encode !== 'function' || typeof decode !== 'function') throw new Error(`${file}.ts lacks encode/decode${s.name}`);
  return { encode, decode };
}

function encode(enc: Function, msg: unknown, v: number): Buffer {
  const w = new Writer(8);
  enc(w, msg, v);
  return w.finish();
}

function decodeAll(dec: Function, buf: Buffer, v: number): unknown {
  const r = new Reader(buf);
  const out = dec(r, v);
  expect(r.remaining()).toBe(0);
  return out;
}

let pairs = 0;
describe('generated codecs round-trip every message at every version', () => {
  for (const s of schemas) {
    const [lo, hi] = versionRange(s);
    it(`${s.name} v${lo}-${hi}`, async () => {
      const { encode: enc, decode: dec } = await codec(s);
      for (let v = lo; v <= hi; v++) {
        for (const seed of [0, 1, 2]) {
          const sample = new SampleBuilder(s, seed).message(v);
          const bytes = encode(enc, sample, v);
          const decoded = decodeAll(dec, bytes, v);
          expect(decoded, `${s.name} v${v} seed ${seed}`).toEqual(sample);
          expect(encode(enc, decoded, v).equals(bytes), `${s.name} v${v} re-encode`).toBe(true);
          pairs++;
        }
      }
    });
  }
  it('covered every schema', () => {
    expect(schemas.length).toBe(186);
    expect(pairs).toBeGreaterThan(1000);
  });
});

describe('encoders accept inputs that leave out optional fields', () => {
  for (const s of schemas) {
    const [lo, hi] = versionRange(s);
    it(`${s.name}`, async () => {
      const { encode: enc, decode: dec } = await codec(s);
      for (let v = lo; v <= hi; v++) {
        const b = new SampleBuilder(s, 5);
        const minimal = b.minimal(v);
        const bytes = encode(enc, minimal, v);
        const decoded = decodeAll(dec, bytes, v) as Record<string, unknown>;
        const expected = { ...b.defaultStruct(s.fields), ...minimal };
        expect(decoded, `${s.name} v${v}`).toEqual(expected);
      }
    });
  }
});

describe('non-ignorable fields cannot be dropped silently', () => {
  const lower = (x: string) => x.charAt(0).toLowerCase() + x.slice(1);
  const nonDefault: Record<string, unknown> = { int8: 9, int16: 9, int32: 9, int64: 9n, bool: true, string: 'zz' };
  let checked = 0;
  for (const s of schemas) {
    const [lo, hi] = versionRange(s);
    it(`${s.name}`, async () => {
      const { encode: enc } = await codec(s);
      for (let v = lo; v <= hi; v++) {
        for (const f of s.fields) {
          if (nonDefault[f.type] === undefined || inVersions(f.versions, v) || f.tag !== undefined) continue;
          if (f.type === 'bool' && (f.default === true || f.default === 'true')) continue;
          const msg = { ...new SampleBuilder(s).message(v), [lower(f.name)]: nonDefault[f.type] };
          if (f.ignorable) expect(() => encode(enc, msg, v)).not.toThrow();
          else {
            expect(() => encode(enc, msg, v), `${s.name}.${f.name} v${v}`).toThrow(ProtocolError);
            checked++;
          }
        }
      }
    });
  }
  it('found non-ignorable fields to check', () => expect(checked).toBeGreaterThan(10));
});

describe('version range checks', () => {
  it('rejects versions outside validVersions', async () => {
    const s = schemas.find((x) => x.name === 'ProduceRequest')!;
    const { encode: enc, decode: dec } = await codec(s);
    expect(() => encode(enc, new SampleBuilder(s).message(3), 12)).toThrow(ProtocolError);
    expect(() => dec(new Reader(Buffer.alloc(64)), -1)).toThrow(ProtocolError);
  });
});

describe('random samples round-trip (property)', () => {
  it('any message, any version, random values, sizes, nulls and unknown tags', async () => {
    const all = schemas.flatMap((s) => {
      const [lo, hi] = versionRange(s);
      return Array.from({ length: hi - lo + 1 }, (_, i) => [s, lo + i] as const);
    });
    const codecs = await Promise.all(all.map(([s]) => codec(s)));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: all.length - 1 }), fc.integer(), (i, seed) => {
        const [s, v] = all[i]!;
        const { encode: enc, decode: dec } = codecs[i]!;
        const sample = new SampleBuilder(s, seed, true).message(v);
        const bytes = encode(enc, sample, v);
        const decoded = decodeAll(dec, bytes, v);
        expect(decoded, `${s.name} v${v} seed ${seed}`).toEqual(sample);
        expect(encode(enc, decoded, v).equals(bytes)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
