import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pairedRatio, ratio } from '../../bench/lib/context.ts';
import { callers, summarise } from '../../bench/lib/cpuprofile.ts';
import { jsonRecords, plainRecords } from '../../bench/lib/data.ts';
import { produceArgs } from '../../bench/lib/kcat.ts';
import { table, type Row } from '../../bench/lib/report.ts';
import { human, median, percentile } from '../../bench/lib/stats.ts';

const dir = mkdtempSync(join(tmpdir(), 'kstream-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stats', () => {
  it('median of odd and even counts ignores NaN', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(median([])).toBeNaN();
  });

  it('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
  });

  it('human-readable numbers', () => {
    expect(human(1_234_567)).toBe('1.23 M');
    expect(human(53_210)).toBe('53.2 k');
    expect(human(NaN)).toBe('n/a');
  });
});

describe('ratios', () => {
  it('pairs samples run back to back', () => {
    // Slow and fast phases of the machine hit both sides alike: the paired ratio stays at 0.5.
    expect(pairedRatio([50, 500, 5], [100, 1000, 10])).toBeCloseTo(0.5);
    // Per-pair 0.5, 0.25, 0.6 → 0.5, where the ratio of medians (60 / 100) would say 0.6.
    expect(pairedRatio([10, 100, 60], [20, 400, 100])).toBeCloseTo(0.5);
  });

  it('falls back to the ratio of medians when samples do not pair up', () => {
    expect(pairedRatio([10, 30], [20])).toBeCloseTo(1);
    expect(pairedRatio([], [20])).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
  });
});

describe('input files', () => {
  it('plain records are exactly `size` bytes per line and all different', () => {
    const f = plainRecords(dir, 1000, 100);
    const lines = readFileSync(f.path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(1000);
    expect(new Set(lines.map((l) => l.length))).toEqual(new Set([100]));
    expect(new Set(lines).size).toBe(1000);
    expect(f.payloadBytes).toBe(100_000);
  });

  it('JSON lines are valid envelopes', () => {
    const f = jsonRecords(dir, 50);
    const lines = readFileSync(f.path, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(50);
    for (const l of lines) expect(JSON.parse(l)).toMatchObject({ key: expect.any(String), value: { kind: 'click' } });
  });
});

describe('kcat command lines', () => {
  it('mock broker: -b is a placeholder and test.mock.num.brokers starts the in-memory broker', () => {
    const args = produceArgs({ bootstrap: 'mock', topic: 't', file: '/f', props: { acks: 'all' } });
    expect(args).toEqual(['-P', '-b', '127.0.0.1:9', '-X', 'test.mock.num.brokers=1', '-t', 't', '-q', '-X', 'acks=all', '-l', '/f']);
  });

  it('real broker: the bootstrap is passed through', () => {
    expect(produceArgs({ bootstrap: '127.0.0.1:1234', topic: 't', file: '/f' })).toEqual(['-P', '-b', '127.0.0.1:1234', '-t', 't', '-q', '-l', '/f']);
  });
});

describe('cpuprofile summary', () => {
  // (root) → main → hot (self 30 ms), main → cold (10 ms), plus 60 ms idle.
  const profile = {
    nodes: [
      { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1, columnNumber: -1 }, children: [2, 5] },
      { id: 2, callFrame: { functionName: 'main', url: 'node:internal/main', lineNumber: 0, columnNumber: 0 }, children: [3, 4] },
      { id: 3, callFrame: { functionName: 'hot', url: 'node:internal/hot', lineNumber: 9, columnNumber: 0 } },
      { id: 4, callFrame: { functionName: 'cold', url: 'node:internal/cold', lineNumber: 0, columnNumber: 0 } },
      { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1, columnNumber: -1 } },
    ],
    startTime: 0,
    endTime: 100_000,
    // Each sample's time is the delta that follows it.
    samples: [3, 3, 3, 4, 5, 5],
    timeDeltas: [0, 10_000, 10_000, 10_000, 10_000, 30_000, 30_000],
  };
  const file = join(dir, 'p.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));

  it('attributes self time per function, idle excluded from the percentages', () => {
    const s = summarise(file, dir, 10);
    expect(s.totalMs).toBeCloseTo(100);
    expect(s.busyMs).toBeCloseTo(40);
    expect(s.functions.map((f) => [f.name, Math.round(f.selfMs), Math.round(f.pct)])).toEqual([
      ['hot', 30, 75],
      ['cold', 10, 25],
    ]);
    expect(s.files[0]).toMatchObject({ name: 'node:internal/hot' });
  });

  it('callers shows the stack above a function', () => {
    const text = callers(file, dir, 'hot');
    expect(text).toContain('hot: 30.0 ms self');
    expect(text).toMatch(/30\.0 ms {2}main node:internal\/main/);
  });
});

describe('table', () => {
  it('prints one line per reference and lists errors', () => {
    const rows: Row[] = [
      {
        scenario: '1 produce',
        case: '100 B',
        metric: 'records/s',
        unit: 'rec/s',
        value: 500_000,
        samples: [],
        refs: [
          { name: 'mock', value: 1_000_000, ratio: 0.5, samples: [] },
          { name: 'disk', value: 5_000_000, ratio: 0.1, samples: [] },
        ],
        goal: { text: '≥ 0.50', met: true },
        params: {},
      },
      { scenario: '3 cli', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: 'boom' },
    ];
    const out = table(rows);
    expect(out).toMatch(/1 produce\s+100 B\s+500 k rec\/s\s+mock 1.00 M rec\/s\s+0.50\s+met: ≥ 0.50/);
    expect(out).toMatch(/\n\s+disk 5.00 M rec\/s\s+0.10\n/);
    expect(out).toContain('3 cli / : boom');
  });
});
