/** Small statistics and formatting helpers; medians because the machines are shared and noisy. */

export function median(xs: readonly number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

/** Nearest-rank percentile, p in [0, 100]. */
export function percentile(xs: readonly number[], p: number): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const rank = Math.min(v.length, Math.max(1, Math.ceil((p / 100) * v.length)));
  return v[rank - 1]!;
}

/** Human number: 1234567 → "1.23 M", 5321 → "5.32 k". */
export function human(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return 'n/a';
  const abs = Math.abs(x);
  if (abs >= 1e9) return `${(x / 1e9).toPrecision(digits)} G`;
  if (abs >= 1e6) return `${(x / 1e6).toPrecision(digits)} M`;
  if (abs >= 1e4) return `${(x / 1e3).toPrecision(digits)} k`;
  if (abs >= 100) return x.toFixed(0);
  return x.toPrecision(digits);
}

export const MB = 1e6;
