import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur2, toPositive } from '../../src/client/murmur2.ts';
import { DefaultPartitioner, RoundRobinPartitioner, keyPartition } from '../../src/client/partitioner.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('murmur2', () => {
  // Apache Kafka's UtilsTest.testMurmur2.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %s like the Java client', (input, expected) => {
    expect(murmur2(bytes(input))).toBe(expected);
  });

  // kafkajs' "default" partitioner is the Java-compatible port (its "legacy" one is not): compare on
  // random byte strings of every tail length, high bytes included.
  it('agrees with kafkajs\' Java-compatible murmur2 on random keys', () => {
    const kafkajsMurmur2 = createRequire(import.meta.url)(
      '../../node_modules/kafkajs/src/producer/partitioners/default/murmur2.js',
    ) as (key: Buffer) => number;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (arr) => {
        const buf = Buffer.from(arr);
        expect(murmur2(buf)).toBe(kafkajsMurmur2(buf));
      }),
      { numRuns: 500 },
    );
  });

  it('handles the empty key and bytes above 0x7f', () => {
    expect(murmur2(new Uint8Array(0))).toBe(275646681);
    // Same value as a signed-byte Java implementation would give: & 0xff on every byte.
    const high = new Uint8Array([0xff, 0x80, 0xfe, 0x81, 0x90]);
    expect(Number.isInteger(murmur2(high))).toBe(true);
    expect(murmur2(high)).toBe(murmur2(Buffer.from(high)));
  });

  it('toPositive clears the sign bit like Utils.toPositive', () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(5)).toBe(5);
  });
});

describe('partitioners', () => {
  it('keyed records go to toPositive(murmur2(key)) % n', () => {
    expect(keyPartition(bytes('foobar'), 50)).toBe(1357151166 % 50);
    expect(keyPartition(bytes('21'), 7)).toBe(toPositive(-973932308) % 7);
    const p = new DefaultPartitioner();
    for (const k of ['a', 'bb', 'ccc', 'dddd', 'eeeee']) {
      expect(p.partition('t', bytes(k), 12)).toBe(toPositive(murmur2(bytes(k))) % 12);
    }
  });

  it('sticky partitioner keeps null keys on one partition until its batch is sealed', () => {
    let r = 0;
    const seq = [0.1, 0.6, 0.9];
    const p = new DefaultPartitioner(() => seq[r++ % seq.length]!);
    const first = p.partition('t', null, 10);
    expect(first).toBe(1);
    expect(p.partition('t', null, 10)).toBe(1);
    p.onBatchSealed('t', 3); // another partition's batch: no move
    expect(p.partition('t', null, 10)).toBe(1);
    p.onBatchSealed('t', 1);
    expect(p.partition('t', null, 10)).toBe(6);
  });

  it('round robin cycles through partitions for null keys', () => {
    const p = new RoundRobinPartitioner();
    expect([0, 1, 2, 3, 4].map(() => p.partition('t', null, 3))).toEqual([0, 1, 2, 0, 1]);
  });
});
