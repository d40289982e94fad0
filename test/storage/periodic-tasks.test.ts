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
