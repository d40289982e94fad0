import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRequestFrame, decodeResponseFrame } from '../../src/protocol/headers.ts';
import { ProtocolError } from '../../src/protocol/errors.ts';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { apis, lookupApi } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { fixturesDir } from './schema-samples.ts';
import { ApiVersionsFacts } from '../../src/protocol/messages/api-facts.ts';

/**
 * Bad bytes must end in a ProtocolError (or a clean decode), never in a TypeError/RangeError, a hang or
 * a huge allocation: truncated frames, corrupted frames, random frames.
 */
interface Frame {
  direction: 'request' | 'response';
  apiKey: number;
  apiVersion: number;
  file: string;
}
const fixtures: { dir: string; f: Frame; buf: Buffer }[] = [];
for (const dir of fs.readdirSync(fixturesDir).sort()) {
  const sj = path.join(fixturesDir, dir, 'session.json');
  if (!fs.existsSync(sj)) continue;
  for (const f of (JSON.parse(fs.readFileSync(sj, 'utf8')) as { frames: Frame[] }).frames) {
    if (f.direction === 'response' && f.apiKey === ApiVersionsFacts.key && f.apiVersion === 3) continue; // the known malformed reply
    fixtures.push({ dir, f, buf: fs.readFileSync(path.join(fixturesDir, dir, f.file)) });
  }
}

const decode = (f: Frame, buf: Buffer): unknown =>
  f.direction === 'request' ? decodeRequestFrame(buf, lookupApi) : decodeResponseFrame(apis[f.apiKey]!, f.apiVersion, buf);

/** Runs fn; returns 'ok' or 'protocol-error', rethrows anything else. */
function outcome(fn: () => unknown): 'ok' | 'protocol-error' {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ProtocolError) return 'protocol-error';
    throw e;
  }
}

describe('malformed input gives typed errors', () => {
  it('every strict prefix of every fixture frame is a ProtocolError', () => {
    let n = 0;
    for (const { dir, f, buf } of fixtures) {
      for (let len = 0; len < buf.length; len++) {
        expect(() => decode(f, buf.subarray(0, len)), `${dir}/${f.file} cut at ${len}`).toThrow(ProtocolError);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10000);
  });

  it('corrupted fixture frames decode or fail with ProtocolError (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: fixtures.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        (i, edits) => {
          const { f, buf } = fixtures[i]!;
          const bad = Buffer.from(buf);
          for (const [pos, byte] of edits) bad[pos % bad.length] = byte;
          outcome(() => decode(f, bad));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('random bytes as a request frame (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        outcome(() => decodeRequestFrame(Buffer.from(bytes), lookupApi));
      }),
      { numRuns: 2000 },
    );
  });

  it('random bodies for every API and version (property)', () => {
    const pairs: [number, number][] = [];
    for (const api of Object.values(apis)) for (let v = api.validVersions.min; v <= api.maxCodecVersion; v++) pairs.push([api.key, v]);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: pairs.length - 1 }), fc.uint8Array({ maxLength: 120 }), fc.boolean(), (i, bytes, req) => {
        const [key, v] = pairs[i]!;
        const r = new Reader(Buffer.from(bytes));
        outcome(() => (req ? apis[key]!.decodeRequest(r, v) : apis[key]!.decodeResponse(r, v)));
      }),
      { numRuns: 5000 },
    );
  });

  it('hostile array and string lengths fail before allocating', () => {
    // Metadata v1 request: header v1, then topics count 0x7fffffff with no data behind it.
    const frame = Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff]);
    expect(() => decodeRequestFrame(frame, lookupApi)).toThrow(/array of 2147483647 elements/);
    // Flexible (v9): compact count as a 5-byte varint.
    const flex = Buffer.from([0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0x07]);
    expect(() => decodeRequestFrame(flex, lookupApi)).toThrow(ProtocolError);
    // A varint that never ends.
    const endless = Buffer.from([0, 3, 0, 9, 0, 0, 0, 1, 0xff, 0xff, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeRequestFrame(endless, lookupApi)).toThrow(/varint/);
    // Negative string length in the header client id (only -1 means null).
    expect(() => decodeRequestFrame(Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xfe, 0, 0, 0, 0]), lookupApi)).toThrow(/negative string length/);
  });

  it('a frame splitter fed garbage fails with a typed error or yields frames, never hangs', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const s = new FrameSplitter(1 << 16);
        for (const c of chunks) {
          if (outcome(() => s.push(Buffer.from(c))) === 'protocol-error') break;
        }
      }),
      { numRuns: 1000 },
    );
  });
});
