import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTasks } from '../../src/storage/periodic-tasks.ts';

/** Issue 20.2: a run longer than its period is followed at once, never skipped to the next tick. */
describe('PeriodicTasks', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs on its period, and right after a run that overran it', async () => {
    const starts: number[] = [];
    let costMs = 0;
    const tasks = new PeriodicTasks(() => {});
    tasks.start([
      {
        periodMs: 1000,
        run: async () => {
          starts.push(performance.now());
          await new Promise((r) => setTimeout(r, costMs));
        },
      },
    ]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(starts).toEqual([1000, 2000]);
    costMs = 1500; // the run at 3000 overruns: the next starts when it ends (4500), not at 5000
    await vi.advanceTimersByTimeAsync(2600);
    expect(starts.slice(0, 3)).toEqual([1000, 2000, 3000]);
    // setTimeout(0) is 1 ms in Node; with setInterval's skip this would be 5000.
    expect(starts[3]).toBeGreaterThanOrEqual(4500);
    expect(starts[3]).toBeLessThanOrEqual(4501);
    tasks.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(starts.length).toBe(4);
  });

  it('asks a period given as a function again after each run (the interval flush starting early by its last pass)', async () => {
    const starts: number[] = [];
    let lastRunMs = 0;
    const costs = [100, 200, 200, 300];
    const tasks = new PeriodicTasks(() => {});
    tasks.start([
      {
        periodMs: () => 1000 - lastRunMs,
        run: async () => {
          starts.push(performance.now());
          const cost = costs[starts.length - 1] ?? 0;
          await new Promise((r) => setTimeout(r, cost));
          lastRunMs = cost;
        },
      },
    ]);
    await vi.advanceTimersByTimeAsync(3500);
    tasks.stop();
    // 1000 (took 100) → +900; 1900 (took 200) → +800; 2700 (took 200) → +800; 3500.
    expect(starts).toEqual([1000, 1900, 2700, 3500]);
    // Each run's end (when a pass's last fdatasync is) stays within 1000 of the previous run's end
    // while a run takes less than twice the one before.
    const ends = starts.map((s, i) => s + costs[i]!);
    for (let i = 1; i < ends.length; i++) expect(ends[i]! - ends[i - 1]!).toBeLessThanOrEqual(1000);
  });

  it('reports a failed run and keeps going', async () => {
    const errors: string[] = [];
    let n = 0;
    const tasks = new PeriodicTasks((e) => errors.push(e.message));
    tasks.start([{ periodMs: 100, run: async () => { n++; throw new Error(`run ${n}`); } }]);
    await vi.advanceTimersByTimeAsync(350);
    tasks.stop();
    expect(errors).toEqual(['run 1', 'run 2', 'run 3']);
  });
});
