/** What every scenario gets: where things are, how big to run, and where results go. */
import { performance } from 'node:perf_hooks';
import type { Row } from './report.ts';
import { median } from './stats.ts';

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

/**
 * Whether a repetition loop that started at `startedAt` should stop: it used its share of the time
 * (`shareMs`, a tenth of it in --quick mode) or the run is close to its global deadline (`reserveMs`
 * kept for the scenarios after it). The first repetition always runs.
 */
export function overBudget(ctx: Ctx, startedAt: number, shareMs: number, reserveMs = 30_000): boolean {
  const share = ctx.quick ? shareMs / 10 : shareMs;
  return performance.now() - startedAt > share || timeLeft(ctx) < (ctx.quick ? reserveMs / 10 : reserveMs);
}

/** Ratio where higher is better for kstream: throughput kstream/ref, or time ref/kstream. */
export function ratio(kstream: number, ref: number): number {
  return ref === 0 || !Number.isFinite(ref) || !Number.isFinite(kstream) ? NaN : kstream / ref;
}

/**
 * Ratio of throughputs from paired samples (sample i of both sides ran back to back): the median of
 * the per-pair ratios, which cancels the machine's slow and fast phases better than a ratio of
 * medians. Falls back to the ratio of medians when the samples do not pair up.
 */
export function pairedRatio(kstream: readonly number[], ref: readonly number[]): number {
  if (kstream.length === 0 || kstream.length !== ref.length) return ratio(median(kstream), median(ref));
  return median(kstream.map((k, i) => ratio(k, ref[i]!)));
}
