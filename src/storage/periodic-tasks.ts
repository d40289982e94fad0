/**
 * The log manager's background work (retention, interval flushes, checkpoints), each task on its own
 * period. A task runs every `periodMs` measured from the start of its previous run; a run that takes
 * longer than its period is followed at once by the next instead of skipping to the tick after — with
 * setInterval's skip, a 1.2 s fsync pass over 1,000 partitions meant each was synced every 2 s under a
 * 1 s `log.fsync.interval.ms` (issue 20.2). Runs of one task never overlap. Timers are unref'd: they
 * never keep the process alive.
 */
export class PeriodicTasks {
  private timers: NodeJS.Timeout[] = [];
  private running = false;

  private readonly onError: (e: Error) => void;

  constructor(onError: (e: Error) => void) {
    this.onError = onError;
  }

  get started(): boolean {
    return this.running;
  }

  /**
   * Starts every task (once; a second call does nothing until stop()). A period given as a function
   * is asked again after every run (the interval flush starts early by its last pass's duration).
   */
  start(tasks: readonly { periodMs: number | (() => number); run: () => Promise<unknown> }[]): void {
    if (this.running) return;
    this.running = true;
    tasks.forEach((task, slot) => {
      const period = typeof task.periodMs === 'number' ? ((ms: number) => () => ms)(task.periodMs) : task.periodMs;
      this.schedule(slot, period, task.run, period());
    });
  }

  /** Cancels the timers; a run in progress finishes but is not followed by another. */
  stop(): void {
    this.running = false;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private schedule(slot: number, periodMs: () => number, run: () => Promise<unknown>, delay: number): void {
    const t = setTimeout(() => {
      if (!this.running) return;
      const startedAt = performance.now();
      run()
        .catch((e: unknown) => this.onError(e as Error))
        .finally(() => {
          if (this.running) this.schedule(slot, periodMs, run, Math.max(0, periodMs() - (performance.now() - startedAt)));
        });
    }, delay);
    t.unref();
    this.timers[slot] = t;
  }
}
