import { describe, expect, it } from 'vitest';
import * as H from '../../../src/protocol/records/batch-header.ts';
import { crc32c } from '../../../src/protocol/records/crc32c.ts';
import { decodeRecordBatch, iterateBatches, type ConsumerRecord } from '../../../src/protocol/records/record-batch.ts';
import { validateBatch, validateProduceRecords } from '../../../src/protocol/records/validate.ts';
import { fetchRecords, frames, produceRecords } from './wire-fixtures.ts';

/** Golden batches captured from real clients (../shared/fixtures/wire/README.md). */

function onlyBatch(session: string): Buffer {
  const reqs = frames(session, /request-k0-/);
  expect(reqs).toHaveLength(1);
  const parts = produceRecords(reqs[0]!.buf);
  expect(parts).toHaveLength(1);
  return parts[0]!.records!;
}

const text = (b: Buffer | null) => (b === null ? null : b.toString('utf8'));

function expectKcatRecords(records: ConsumerRecord[], codec: string, firstOffset: number, timestamp: number) {
  expect(records).toHaveLength(5);
  records.forEach((r, i) => {
    expect(r.offset).toBe(firstOffset + i);
    expect(r.timestamp).toBe(timestamp);
    expect(text(r.key)).toBe(`key${i + 1}`);
    expect(text(r.value)).toBe(`value-${i + 1}-${codec}`);
    expect(r.headers.map((h) => [h.key, text(h.value)])).toEqual([['a', 'b']]);
  });
}

const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;

describe('kcat (librdkafka 2.0.2) Produce v7 batches', () => {
  CODECS.forEach((codec, id) => {
    it(`kcat-produce-${codec}`, () => {
      const batch = onlyBatch(`kcat-produce-${codec}`);
      expect(H.batchSize(batch)).toBe(batch.length);
      expect(crc32c(batch, H.ATTRIBUTES, batch.length)).toBe(H.storedCrc(batch));
      const d = decodeRecordBatch(batch);
      expect(d).toMatchObject({
        magic: 2,
        attributes: id,
        compression: id,
        timestampType: 0,
        isTransactional: false,
        isControl: false,
        lastOffsetDelta: 4,
        recordCount: 5,
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
      });
      expect(d.maxTimestamp).toBe(d.baseTimestamp);
      expectKcatRecords(d.records, codec, 0, d.baseTimestamp);
      const v = validateProduceRecords(batch, { allowZstd: true });
      expect(v).toMatchObject({ recordCount: 5, lastOffsetDelta: 4, compression: id, maxTimestamp: d.baseTimestamp, size: batch.length });
    });
  });
});

describe('kcat-consume Fetch v11 responses', () => {
  it('hold the 25 records, one batch per codec, and the last response is empty', () => {
    const responses = frames('kcat-consume', /response-k1-v11-Fetch/);
    const all: ConsumerRecord[] = [];
    const codecs: number[] = [];
    let empty = 0;
    for (const f of responses) {
      for (const p of fetchRecords(f.buf)) {
        if (p.records === null || p.records.length === 0) {
          empty++;
          continue;
        }
        for (const b of iterateBatches(p.records)) {
          expect(crc32c(p.records, H.ATTRIBUTES, b.size)).toBe(b.crc);
          expect(validateBatch(p.records, 0, { origin: 'log' }).recordCount).toBe(5);
          codecs.push(b.compression);
          all.push(...b.records);
        }
      }
    }
    expect(codecs).toEqual([0, 1, 2, 3, 4]);
    expect(empty).toBeGreaterThanOrEqual(1);
    expect(all.map((r) => r.offset)).toEqual([...Array(25).keys()]);
    CODECS.forEach((codec, i) => expectKcatRecords(all.slice(i * 5, i * 5 + 5), codec, i * 5, all[i * 5]!.timestamp));
  });
  it('decode the same records as the produced batches (same CRC: baseOffset lies outside it)', () => {
    const fetched = frames('kcat-consume', /response-k1-v11-Fetch/)
      .flatMap((f) => fetchRecords(f.buf))
      .filter((p) => p.records && p.records.length > 0)
      .map((p) => p.records!);
    CODECS.forEach((codec, i) => expect(H.storedCrc(fetched[i]!)).toBe(H.storedCrc(onlyBatch(`kcat-produce-${codec}`))));
  });
});

describe('other clients', () => {
  it('kafkajs-produce-gzip: producerId -1, epoch 0, baseSequence 0, two headers per record', () => {
    const batch = onlyBatch('kafkajs-produce-gzip');
    const d = decodeRecordBatch(batch);
    expect(d).toMatchObject({ compression: 1, producerId: -1n, producerEpoch: 0, baseSequence: 0, recordCount: 5 });
    d.records.forEach((r, i) => {
      expect(text(r.key)).toBe(`key${i + 1}`);
      expect(text(r.value)).toBe(`kafkajs-value-${i + 1}`);
      expect(r.headers.map((h) => [h.key, text(h.value)])).toEqual([
        ['a', 'b'],
        ['n', String(i + 1)],
      ]);
    });
    expect(validateProduceRecords(batch).recordCount).toBe(5);
  });

  it('confluent-idempotent-produce: a real producer id, epoch 0, baseSequence 0', () => {
    const batch = onlyBatch('confluent-idempotent-produce');
    const d = decodeRecordBatch(batch);
    expect(d.producerId).toBeGreaterThan(0n);
    expect(d).toMatchObject({ compression: 0, producerEpoch: 0, baseSequence: 0, recordCount: 5, lastOffsetDelta: 4 });
    expect(d.records.map((r) => text(r.value))).toEqual([1, 2, 3, 4, 5].map((i) => `confluent-value-${i}`));
    expect(d.records.every((r) => r.headers.length === 1 && r.headers[0]!.key === 'a' && text(r.headers[0]!.value) === 'b')).toBe(true);
    const v = validateProduceRecords(batch);
    expect(v).toMatchObject({ producerId: d.producerId, producerEpoch: 0, baseSequence: 0 });
  });

  it('sarama-produce: Produce v3 with 2 then 3 records and maxTimestamp -1; the validator finds the real max', () => {
    const reqs = frames('sarama-produce', /request-k0-v3/);
    expect(reqs).toHaveLength(2);
    const batches = reqs.map((f) => produceRecords(f.buf)[0]!.records!);
    const decoded = batches.map((b) => decodeRecordBatch(b));
    expect(decoded.map((d) => d.recordCount)).toEqual([2, 3]);
    expect(decoded.map((d) => d.maxTimestamp)).toEqual([-1, -1]);
    const values = decoded.flatMap((d) => d.records.map((r) => [text(r.key), r.headers.map((h) => `${h.key}=${text(h.value)}`).join()]));
    expect(values).toHaveLength(5);
    expect(values.every(([, h]) => h === 'a=b')).toBe(true);
    for (const [i, b] of batches.entries()) {
      const v = validateProduceRecords(b);
      const maxRecordTs = Math.max(...decoded[i]!.records.map((r) => r.timestamp));
      expect(v.maxTimestamp).toBe(maxRecordTs);
      expect(v.maxTimestamp).toBeGreaterThan(0);
    }
  });

  it('kafka-python-produce: Produce v7 batch', () => {
    const d = decodeRecordBatch(onlyBatch('kafka-python-produce'));
    expect(d).toMatchObject({ magic: 2, producerId: -1n, producerEpoch: -1, baseSequence: -1 });
    expect(d.records.length).toBeGreaterThan(0);
  });

  it('every Fetch response in every session decodes (complete batches only)', () => {
    let batches = 0;
    for (const session of ['kcat-consume', 'kcat-group', 'kafkajs-consumer-group', 'confluent-consumer-group']) {
      for (const f of frames(session, /response-k1-v11-Fetch/)) {
        for (const p of fetchRecords(f.buf)) if (p.records) for (const b of iterateBatches(p.records)) batches += b.records.length > 0 ? 1 : 0;
      }
    }
    expect(batches).toBeGreaterThanOrEqual(5);
  });
});
