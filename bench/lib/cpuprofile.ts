/**
 * Summarise a V8 .cpuprofile (node --cpu-prof): self time by function and by file, with dist/*.js
 * positions mapped back to the TypeScript sources through the build's source maps.
 *
 *   node bench/lib/cpuprofile.ts FILE.cpuprofile [--top 25] [--callers FUNCTION]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Entry {
  name: string;
  where: string;
  selfMs: number;
  pct: number;
}

export interface Summary {
  totalMs: number;
  /** Time not idle (everything but "(idle)"). */
  busyMs: number;
  functions: Entry[];
  files: Entry[];
}

const maps = new Map<string, SourceMap | null>();
function sourceMapFor(file: string): SourceMap | null {
  let m = maps.get(file);
  if (m === undefined) {
    m = null;
    try {
      if (existsSync(file + '.map')) m = new SourceMap(JSON.parse(readFileSync(file + '.map', 'utf8')));
    } catch {
      m = null;
    }
    maps.set(file, m);
  }
  return m;
}

/** "src/broker/connection.ts:123" for our code, "node:net" style for built-ins, the url otherwise. */
function locate(cf: CallFrame, root: string): string {
  if (!cf.url) return '';
  if (!cf.url.startsWith('file://')) return cf.url;
  const file = fileURLToPath(cf.url);
  const map = sourceMapFor(file);
  if (map) {
    const e = map.findEntry(cf.lineNumber, cf.columnNumber) as { originalSource?: string; originalLine?: number };
    if (e && e.originalSource) {
      const src = e.originalSource.startsWith('file://') ? fileURLToPath(e.originalSource) : e.originalSource;
      const rel = relative(root, src.startsWith('/') ? src : new URL(src, cf.url).pathname);
      return `${rel}:${(e.originalLine ?? 0) + 1}`;
    }
  }
  return `${relative(root, file)}:${cf.lineNumber + 1}`;
}

export function summarise(path: string, root: string, top = 25): Summary {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  for (const n of p.nodes) byId.set(n.id, n);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) {
    // timeDeltas[i] is the time before sample i; attribute the next delta to sample i.
    const dt = p.timeDeltas[i + 1] ?? 0;
    selfUs.set(p.samples[i]!, (selfUs.get(p.samples[i]!) ?? 0) + dt);
  }
  const fn = new Map<string, Entry>();
  const files = new Map<string, Entry>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const cf = byId.get(id)!.callFrame;
    total += us;
    if (cf.functionName === '(idle)') idle += us;
    const where = locate(cf, root);
    const name = cf.functionName || '(anonymous)';
    const key = `${name}@${where}`;
    const e = fn.get(key) ?? { name, where, selfMs: 0, pct: 0 };
    e.selfMs += us / 1000;
    fn.set(key, e);
    const file = where.replace(/:\d+$/, '') || name;
    const f = files.get(file) ?? { name: file, where: '', selfMs: 0, pct: 0 };
    f.selfMs += us / 1000;
    files.set(file, f);
  }
  const busy = total - idle;
  const finish = (m: Map<string, Entry>): Entry[] =>
    [...m.values()]
      .filter((e) => e.name !== '(idle)')
      .map((e) => ({ ...e, pct: busy > 0 ? (100 * e.selfMs * 1000) / busy : 0 }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top);
  return { totalMs: total / 1000, busyMs: busy / 1000, functions: finish(fn), files: finish(files) };
}

/**
 * Where the self time of functions named `name` comes from: the call stacks (innermost first,
 * `depth` frames above the function) with their share of that time.
 */
export function callers(path: string, root: string, name: string, depth = 4, top = 8): string {
  const p = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const stacks = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i]!;
    if ((byId.get(id)!.callFrame.functionName || '(anonymous)') !== name) continue;
    const dt = p.timeDeltas[i + 1] ?? 0;
    total += dt;
    const frames: string[] = [];
    for (let up = parent.get(id), d = 0; up !== undefined && d < depth; up = parent.get(up), d++) {
      const cf = byId.get(up)!.callFrame;
      frames.push(`${cf.functionName || '(anonymous)'} ${locate(cf, root)}`.trim());
    }
    const key = frames.join(' < ');
    stacks.set(key, (stacks.get(key) ?? 0) + dt);
  }
  const lines = [`${name}: ${(total / 1000).toFixed(1)} ms self, called from:`];
  for (const [k, us] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${(us / 1000).toFixed(1).padStart(7)} ms  ${k}`);
  }
  return lines.join('\n') + '\n';
}

export function formatSummary(s: Summary, title: string): string {
  const lines = [`${title}: ${s.busyMs.toFixed(0)} ms busy of ${s.totalMs.toFixed(0)} ms profiled (% of busy)`];
  lines.push('  self ms      %  function  (where)');
  for (const e of s.functions) lines.push(`  ${e.selfMs.toFixed(1).padStart(7)}  ${e.pct.toFixed(1).padStart(5)}  ${e.name}  ${e.where}`);
  lines.push('  by file:');
  for (const e of s.files) lines.push(`  ${e.selfMs.toFixed(1).padStart(7)}  ${e.pct.toFixed(1).padStart(5)}  ${e.name}`);
  return lines.join('\n') + '\n';
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const ti = args.indexOf('--top');
  const ci = args.indexOf('--callers');
  const file = args.find((a, i) => !a.startsWith('--') && (ti < 0 || i !== ti + 1) && (ci < 0 || i !== ci + 1));
  const top = ti >= 0 ? Number(args[ti + 1]) : 25;
  if (!file) {
    process.stderr.write('usage: node bench/lib/cpuprofile.ts FILE.cpuprofile [--top N] [--callers FUNCTION]\n');
    process.exit(2);
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (ci >= 0) process.stdout.write(callers(file, root, args[ci + 1]!, 5, top));
  else process.stdout.write(formatSummary(summarise(file, root, top), file));
}
