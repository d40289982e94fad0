import { describe, expect, it } from 'vitest';
import {
  decodeRequest,
  decodeResponseFrame,
  encodeRequestFrame,
  encodeRequestFrameChunks,
  encodeResponseFrame,
  encodeResponseFrameChunks,
} from '../../src/protocol/headers.ts';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { apis, apisByName } from '../../src/protocol/messages/index.ts';
import { Reader } from '../../src/protocol/primitives/reader.ts';
import { Writer } from '../../src/protocol/primitives/writer.ts';
import { loadSchemas, SampleBuilder, versionRange } from './schema-samples.ts';

/** Chunked encoding: large byte fields by reference, same bytes as the one-buffer encoders. */
const batch = (n: number, fill: number) => Buffer.alloc(n, fill);

const fetchResponse = (records: Buffer[]) => ({
  throttleTimeMs: 0,
  errorCode: 0,
  sessionId: 0,
  responses: [
    {
      topic: 'orders',
      topicId: 'AAAAAAAAAAAAAAAAAAAAAA',
      partitions: records.map((r, i) => ({
        partitionIndex: i,
        errorCode: 0,
        highWatermark: 100n,
        lastStableOffset: 100n,
        logStartOffset: 0n,
        abortedTransactions: null,
        preferredReadReplica: -1,
        records: r,
      })),
    },
  ],
});

describe('chunked encoding', () => {
  it('Fetch responses: same bytes as encodeResponseFrame, record batches held by reference', () => {
    const records: Buffer[] = [batch(10000, 1), batch(100, 2), batch(70000, 3), batch(4096, 4)];
    for (const v of [4, 11, 12, 13, 16]) {
      const body = fetchResponse(records);
      const chunks = encodeResponseFrameChunks(apisByName.Fetch, v, 77, body);
      const whole = encodeResponseFrame(apisByName.Fetch, v, 77, body);
      expect(Buffer.concat(chunks).equals(whole), `v${v}`).toBe(true);
      // The three batches at or above 4096 bytes are the very same Buffers, not copies.
      expect(chunks.filter((c) => records.includes(c)).length).toBe(3);
      expect(chunks).not.toContain(records[1]);
      // The length prefix counts the referenced bytes too.
      const frames = new FrameSplitter().push(Buffer.concat(chunks));
      expect(frames.length).toBe(1);
      expect(decodeResponseFrame(apisByName.Fetch, v, frames[0]!).body.responses[0]!.partitions[2]!.records!.equals(records[2]!)).toBe(true);
    }
  });

  it('Produce requests: same bytes as encodeRequestFrame', () => {
    const records = batch(50000, 9);
    for (const v of [3, 7, 9, 11]) {
      const body = { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: 't', partitionData: [{ index: 0, records }] }] };
      const chunks = encodeRequestFrameChunks(apisByName.Produce, v, 5, 'cli', body, { zeroCopyThreshold: 1024 });
      expect(chunks).toContain(records);
      expect(Buffer.concat(chunks).equals(encodeRequestFrame(apisByName.Produce, v, 5, 'cli', body))).toBe(true);
      expect(decodeRequest(apisByName.Produce, Buffer.concat(chunks).subarray(4)).body.topicData[0]!.partitionData[0]!.records!.equals(records)).toBe(true);
    }
  });

  it('every message at every version: chunked with a tiny threshold gives the same bytes', () => {
    for (const s of loadSchemas().filter((x) => x.type === 'request' || x.type === 'response')) {
      const [lo, hi] = versionRange(s);
      for (let v = lo; v <= hi; v++) {
        const body = new SampleBuilder(s, 1).message(v);
        const key = s.apiKey!;
        const whole = s.type === 'request' ? encodeRequestFrame(apis[key]!, v, 1, 'c', body) : encodeResponseFrame(apis[key]!, v, 1, body);
        const chunks = s.type === 'request' ? encodeRequestFrameChunks(apis[key]!, v, 1, 'c', body, { zeroCopyThreshold: 2 }) : encodeResponseFrameChunks(apis[key]!, v, 1, body, { zeroCopyThreshold: 2 });
        expect(Buffer.concat(chunks).equals(whole), `${s.name} v${v}`).toBe(true);
      }
    }
  });

  it('keeps sized (tagged) sections in its own buffer and patches int32s across growth', () => {
    const big = batch(5000, 7);
    const w = Writer.chunked(16, 16);
    w.int32(0);
    w.bytes(big);
    const m = w.beginSized();
    w.bytes(big); // inside a sized section: copied, so the size can be inserted in front
    w.endSized(m);
    for (let i = 0; i < 100; i++) w.int32(i); // grows the own buffer after the first chunk was cut
    w.int32At(0, w.length - 4);
    const out = Buffer.concat(w.finishChunks());
    const r = new Reader(out);
    expect(r.int32()).toBe(out.length - 4);
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.unsignedVarint()).toBe(5004);
    expect(r.bytes().equals(big)).toBe(true);
    for (let i = 0; i < 100; i++) expect(r.int32()).toBe(i);
    expect(r.remaining()).toBe(0);
  });

  it('a chunked writer can be reused after finishChunks', () => {
    const w = Writer.chunked(8);
    w.int8(1).bytes(batch(8, 1));
    expect(Buffer.concat(w.finishChunks())).toEqual(Buffer.from([1, 0, 0, 0, 8, 1, 1, 1, 1, 1, 1, 1, 1]));
    w.int8(2);
    expect(w.finishChunks()).toEqual([Buffer.from([2])]);
    expect(w.length).toBe(0);
  });
});
