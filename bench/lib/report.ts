/** Result rows, the printed table and the JSON results file. */
import { cpus, release } from 'node:os';
import { readFileSync } from 'node:fs';
import { human } from './stats.ts';

export interface Ref {
  name: string;
  /** Median of the reference, in the row's unit. */
  value: number;
  /** kstream relative to the reference, oriented so that higher is better for kstream (1.0 = equal). */
  ratio: number;
  samples: number[];
}

export interface Row {
  scenario: string;
  case: string;
  metric: string;
  unit: string;
  /** Median of kstream's samples (NaN when it could not run). */
  value: number;
  samples: number[];
  /** A second figure for the same measurement (e.g. MB/s next to records/s). */
  also?: string;
  refs: Ref[];
  goal?: { text: string; met: boolean };
  params: Record<string, unknown>;
  error?: string;
}

export interface Machine {
  nproc: number;
  cpu: string;
  kernel: string;
  node: string;
  kcat: string;
  memTotalMb: number;
}

export function machine(kcatVersion: string): Machine {
  let memTotalMb = NaN;
  try {
    const m = /^MemTotal:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (m) memTotalMb = Math.round(Number(m[1]) / 1024);
  } catch {
    // not Linux
  }
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    kernel: release(),
    node: process.version,
    kcat: kcatVersion,
    memTotalMb,
  };
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function fmtValue(v: number, unit: string): string {
  return Number.isFinite(v) ? `${human(v)} ${unit}` : 'n/a';
}

/** One line per (row, reference); rows without references get one line. */
export function table(rows: readonly Row[]): string {
  const lines: string[][] = [['scenario', 'case', 'kstream', 'reference', 'ratio', 'goal']];
  for (const r of rows) {
    const ks = r.error ? `ERROR` : fmtValue(r.value, r.unit) + (r.also ? ` (${r.also})` : '');
    const goal = r.goal ? `${r.goal.met ? 'met' : 'MISSED'}: ${r.goal.text}` : '';
    if (r.refs.length === 0) lines.push([r.scenario, r.case, ks, '', '', goal]);
    r.refs.forEach((ref, i) => {
      lines.push([
        i === 0 ? r.scenario : '',
        i === 0 ? r.case : '',
        i === 0 ? ks : '',
        `${ref.name} ${fmtValue(ref.value, r.unit)}`,
        Number.isFinite(ref.ratio) ? ref.ratio.toFixed(2) : 'n/a',
        i === 0 ? goal : '',
      ]);
    });
  }
  const widths = lines[0]!.map((_, c) => Math.max(...lines.map((l) => l[c]!.length)));
  const out = lines.map((l) => l.map((cell, c) => pad(cell, widths[c]!)).join('  ').trimEnd());
  out.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  const errors = rows.filter((r) => r.error).map((r) => `  ${r.scenario} / ${r.case}: ${r.error}`);
  return out.join('\n') + (errors.length ? `\n\nerrors:\n${errors.join('\n')}` : '') + '\n';
}
