/** What every scenario gets: where things are, how big to run, and where results go. */
import { performance } from 'node:perf_hooks';
import type { Row } from './report.ts';

export interface Ctx {
  /** Repository root (bin/kstream, dist/). */
  root: string;
  /** Run temp dir for input files; removed at the end. */
  tmp: string;
  quick: boolean;
  /** Repetitions per measurement; medians are reported. */
  reps: number;
  /** Records per produce/fetch/CLI run (1 M, or small in --quick). */
  records: number;
  /** Per-command hard timeout, ms. */
  timeoutMs: number;
  /** performance.now() after which remaining scenarios are skipped (the 10-minute bound). */
  deadline: number;
  rows: Row[];
  log(msg: string): void;
}

export function timeLeft(ctx: Ctx): number {
  return ctx.deadline - performance.now();
}

/** Ratio where higher is better for kstream: throughput kstream/ref, or time ref/kstream. */
export function ratio(kstream: number, ref: number): number {
  return ref === 0 || !Number.isFinite(ref) || !Number.isFinite(kstream) ? NaN : kstream / ref;
}
