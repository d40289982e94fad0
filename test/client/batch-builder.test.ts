import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchBuilder } from '../../src/client/batch-builder.ts';
import { Compression } from '../../src/protocol/records/compression/index.ts';
import { decodeRecordBatch } from '../../src/protocol/records/record-batch.ts';
import { cooperativeStickyAssignor, rangeAssignor, roundRobinAssignor } from '../../src/client/assignors.ts';
import { decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription } from '../../src/client/group-member.ts';

describe('BatchBuilder', () => {
  it('builds batches the record-batch decoder reads back, for every codec (property)', () => {
    const rec = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 30 }).map((a) => Buffer.from(a)), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)), { nil: null }),
      headers: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.option(fc.uint8Array({ maxLength: 8 }).map((a) => Buffer.from(a)), { nil: null })), { maxLength: 3 }),
      dt: fc.integer({ min: 0, max: 100_000 }),
    });
    fc.assert(
      fc.property(fc.array(rec, { minLength: 1, maxLength: 30 }), fc.constantFrom(...Object.values(Compression)), fc.boolean(), (records, codec, idem) => {
        const b = new BatchBuilder(1 << 20);
        const base = 1_700_000_000_000;
        for (const r of records) expect(b.append(base + r.dt, r.key, r.value, r.headers)).toBe(true);
        const bytes = b.seal(codec, idem ? 42n : -1n, idem ? 3 : -1, idem ? 17 : -1);
        const d = decodeRecordBatch(bytes);
        expect(d.recordCount).toBe(records.length);
        expect(d.compression).toBe(codec);
        expect(d.producerId).toBe(idem ? 42n : -1n);
        expect(d.baseSequence).toBe(idem ? 17 : -1);
        expect(d.lastOffsetDelta).toBe(records.length - 1);
        expect(d.baseTimestamp).toBe(base + records[0]!.dt);
        expect(d.maxTimestamp).toBe(base + Math.max(...records.map((r) => r.dt)));
        d.records.forEach((got, i) => {
          const want = records[i]!;
          expect(got.offset).toBe(i);
          expect(got.timestamp).toBe(base + want.dt);
          expect(got.key).toEqual(want.key);
          expect(got.value).toEqual(want.value);
          expect(got.headers.map((h) => [h.key, h.value])).toEqual(want.headers);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses a record that does not fit a non-empty batch, but takes an oversize first record', () => {
    const b = new BatchBuilder(200);
    expect(b.append(1, null, Buffer.alloc(50), null)).toBe(true);
    expect(b.append(1, null, Buffer.alloc(500), null)).toBe(false);
    expect(b.count).toBe(1);
    const big = new BatchBuilder(200);
    expect(big.append(1, null, Buffer.alloc(5000, 7), null)).toBe(true);
    expect(decodeRecordBatch(big.seal(0, -1n, -1, -1)).records[0]!.value).toEqual(Buffer.alloc(5000, 7));
  });
});

describe('assignors and the consumer protocol', () => {
  it("range splits each topic's partitions into contiguous ranges, the first members getting the extra", () => {
    const a = rangeAssignor.assign(
      [
        { memberId: 'c', topics: ['t', 'u'] },
        { memberId: 'a', topics: ['t', 'u'] },
        { memberId: 'b', topics: ['t'] },
      ],
      new Map([
        ['t', 7],
        ['u', 3],
      ]),
    );
    expect(a.get('a')!.get('t')).toEqual([0, 1, 2]);
    expect(a.get('b')!.get('t')).toEqual([3, 4]);
    expect(a.get('c')!.get('t')).toEqual([5, 6]);
    expect(a.get('a')!.get('u')).toEqual([0, 1]);
    expect(a.get('c')!.get('u')).toEqual([2]);
    expect(a.get('b')!.get('u')).toBeUndefined();
  });

  it('roundrobin deals partitions in turn and every partition goes to exactly one member', () => {
    const a = roundRobinAssignor.assign(
      [
        { memberId: 'm2', topics: ['t'] },
        { memberId: 'm1', topics: ['t'] },
      ],
      new Map([['t', 5]]),
    );
    expect(a.get('m1')!.get('t')).toEqual([0, 2, 4]);
    expect(a.get('m2')!.get('t')).toEqual([1, 3]);
  });

  it('subscriptions and assignments survive their wire encoding', () => {
    expect(decodeSubscription(encodeSubscription(['a', 'b']))).toEqual(['a', 'b']);
    const m = new Map([
      ['a', [0, 2]],
      ['b', [1]],
    ]);
    expect(decodeAssignment(encodeAssignment(m))).toEqual(m);
    expect(decodeAssignment(Buffer.alloc(0)).size).toBe(0);
  });
});

describe('cooperative-sticky', () => {
  const coop = cooperativeStickyAssignor;
  const counts = new Map([['t', 4]]);
  const flat = (a: Map<string, Map<string, number[]>>, m: string) => a.get(m)?.get('t') ?? [];

  it('balances a fresh group', () => {
    const a = coop.assign([{ memberId: 'm1', topics: ['t'] }, { memberId: 'm2', topics: ['t'] }], counts);
    expect([...flat(a, 'm1'), ...flat(a, 'm2')].sort()).toEqual([0, 1, 2, 3]);
    expect(flat(a, 'm1')).toHaveLength(2);
  });

  it('a joining member gets moved partitions only in the round after their owner gave them up', () => {
    const round1 = coop.assign(
      [
        { memberId: 'm1', topics: ['t'], owned: new Map([['t', [0, 1, 2, 3]]]) },
        { memberId: 'm2', topics: ['t'], owned: new Map() },
      ],
      counts,
    );
    expect(flat(round1, 'm1')).toEqual([0, 1]);
    expect(flat(round1, 'm2')).toEqual([]);
    const round2 = coop.assign(
      [
        { memberId: 'm1', topics: ['t'], owned: new Map([['t', [0, 1]]]) },
        { memberId: 'm2', topics: ['t'], owned: new Map() },
      ],
      counts,
    );
    expect(flat(round2, 'm1')).toEqual([0, 1]);
    expect(flat(round2, 'm2')).toEqual([2, 3]);
  });

  it('keeps owners sticky when a member leaves', () => {
    const a = coop.assign(
      [
        { memberId: 'm1', topics: ['t'], owned: new Map([['t', [1]]]) },
        { memberId: 'm3', topics: ['t'], owned: new Map([['t', [3]]]) },
      ],
      counts,
    );
    expect(flat(a, 'm1')).toContain(1);
    expect(flat(a, 'm3')).toContain(3);
    expect([...flat(a, 'm1'), ...flat(a, 'm3')].sort()).toEqual([0, 1, 2, 3]);
  });
});

describe('FetchedRecords (the consumer\'s allocation-free record walk)', () => {
  it('yields exactly what the protocol decoder yields, skipping control batches and offsets below the fetch offset', async () => {
    const { FetchedRecords } = await import('../../src/client/fetched-records.ts');
    const { encodeRecordBatch, decodeRecordsBlob } = await import('../../src/protocol/records/record-batch.ts');
    const recordArb = fc.record({
      key: fc.option(fc.uint8Array({ maxLength: 12 }).map((a) => Buffer.from(a)), { nil: null }),
      value: fc.option(fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)), { nil: null }),
      headers: fc.array(fc.record({ key: fc.string({ maxLength: 5 }), value: fc.option(fc.uint8Array({ maxLength: 5 }).map((a) => Buffer.from(a)), { nil: null }) }), { maxLength: 2 }),
      timestamp: fc.integer({ min: 1_600_000_000_000, max: 1_700_000_000_000 }),
    });
    const batchArb = fc.record({
      records: fc.array(recordArb, { minLength: 1, maxLength: 6 }),
      compression: fc.constantFrom(0, 1, 2, 3, 4),
      control: fc.boolean(),
      logAppend: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 5 }), fc.nat(), fc.nat({ max: 40 }), (batches, fromSeed, cut) => {
        let offset = 100;
        const parts: Buffer[] = [];
        for (const b of batches) {
          const records = b.control ? [{ key: Buffer.from([0, 0, 0, 1]), value: Buffer.from([0, 0, 0, 0, 0, 0]), timestamp: 1 }] : b.records;
          parts.push(encodeRecordBatch({ baseOffset: offset, compression: b.compression as 0, control: b.control, timestampType: b.logAppend ? 1 : 0, records }));
          offset += records.length;
        }
        const full = Buffer.concat(parts);
        // A response cut inside its last batch (maxBytes) must be read up to the cut.
        const blob = full.subarray(0, full.length - Math.min(cut, parts.at(-1)!.length - 1));
        const from = 100 + (fromSeed % (offset - 100));
        const got = new FetchedRecords(blob, from, true);
        const want = decodeRecordsBlob(blob).filter((r) => r.offset >= from);
        const mine = got.records.map((r) => ({ ...r, headers: r.headers.map((h) => [h.key, h.value]) }));
        expect(mine).toEqual(want.map((r) => ({ ...r, headers: r.headers.map((h) => [h.key, h.value]) })));
        const complete = cut === 0 ? parts.length : parts.length - 1;
        const last = complete === 0 ? 100 : 100 + batches.slice(0, complete).reduce((s, b) => s + (b.control ? 1 : b.records.length), 0);
        expect(got.nextOffset).toBe(Math.max(from, last));
      }),
      { numRuns: 300 },
    );
  });
});
