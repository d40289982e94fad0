/**
 * Renders a results file as the Markdown of bench/README.md's "Latest numbers":
 *   node bench/markdown.ts [bench/results/latest.json]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Machine, Row } from './lib/report.ts';
import { human } from './lib/stats.ts';

interface Results {
  date: string;
  quick: boolean;
  reps: number;
  records: number;
  elapsedSeconds: number;
  loadAverage?: { before: number; after: number };
  machine: Machine;
  rows: Row[];
}

const cell = (v: number | null, unit: string): string => (v === null || !Number.isFinite(v) ? 'n/a' : `${human(v)} ${unit}`);

export function markdown(r: Results): string {
  const m = r.machine;
  const out = [
    `${r.date.slice(0, 16).replace('T', ' ')} UTC, ${r.quick ? 'quick run' : `${r.records.toLocaleString('en')} records per run, up to ${r.reps} repetitions`}, ${Math.round(r.elapsedSeconds)} s in all.`,
    `Machine: ${m.nproc} × ${m.cpu}, ${Math.round(m.memTotalMb / 1024)} GiB, Linux ${m.kernel}, Node ${m.node}, kcat ${m.kcat}` +
      (r.loadAverage ? `; 1-min load average ${r.loadAverage.before.toFixed(1)} at the start, ${r.loadAverage.after.toFixed(1)} at the end.` : '.'),
    '',
    '| scenario | case | kstream | reference | ratio | goal |',
    '|---|---|---|---|---:|---|',
  ];
  for (const row of r.rows) {
    const ks = row.error ? `error: ${row.error}` : cell(row.value, row.unit) + (row.also ? ` (${row.also})` : '');
    const goal = row.goal ? `${row.goal.met ? 'met' : '**missed**'}: ${row.goal.text}` : '';
    if (row.refs.length === 0) out.push(`| ${row.scenario} | ${row.case} | ${ks} | | | ${goal} |`);
    row.refs.forEach((ref, i) => {
      const ratio = ref.ratio === null || !Number.isFinite(ref.ratio) ? 'n/a' : ref.ratio.toFixed(2);
      out.push(`| ${i ? '' : row.scenario} | ${i ? '' : row.case} | ${i ? '' : ks} | ${ref.name} ${cell(ref.value, row.unit)} | ${ratio} | ${i ? '' : goal} |`);
    });
  }
  return out.join('\n') + '\n';
}

if (import.meta.main) {
  const file = process.argv[2] ?? fileURLToPath(new URL('./results/latest.json', import.meta.url));
  process.stdout.write(markdown(JSON.parse(readFileSync(file, 'utf8')) as Results));
}
