/**
 * Scenario 5 (start-up) and scenario 6 (memory).
 *   Start-up reuses bench/startup.ts (H7): `node -e 0` (reference) vs `--version` (spawn → exit) and
 *   `serve` (spawn → first accepted TCP connection), for `node bin/kstream` and, when built, the
 *   standalone binary dist/kstream; interleaved rounds, medians.
 *   Memory: broker VmRSS 1 s after ready (idle) vs an idle `node -e 'setInterval(…)'` process, and
 *   the peak VmRSS sampled during the produce scenario (under load).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startKstream } from '../lib/broker.ts';
import { ratio, type Ctx } from '../lib/context.ts';
import { killGroup, readRssKb, start } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';
import { defaultCases, measureStartup, type StartupResult } from '../startup.ts';

async function nodeIdleRssKb(): Promise<number> {
  const s = start(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdout: 'ignore', stderr: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const kb = readRssKb(s.child.pid!);
  killGroup(s.child);
  await s.exited;
  return kb;
}

export interface IdleMemory {
  idleRssKb: number;
  nodeIdleRssKb: number;
  /** Same for the standalone binary dist/kstream, when built (NaN otherwise). */
  binaryIdleRssKb: number;
  binaryError?: string;
  error?: string;
}

/** Scenario 5 through H7's bench/startup.ts (interleaved rounds, one warm-up round, medians). */
export async function startupScenario(ctx: Ctx): Promise<void> {
  const runs = ctx.quick ? 3 : Math.max(5, ctx.reps);
  let results: StartupResult[];
  try {
    results = await measureStartup(defaultCases(), runs);
  } catch (e) {
    ctx.rows.push({ scenario: '5 start-up', case: 'all', metric: 'ms', unit: 'ms', value: NaN, samples: [], refs: [], params: { runs }, error: (e as Error).message.split('\n')[0] });
    return;
  }
  const ref = results[0]!;
  for (const r of results.slice(1)) {
    const serve = r.kind === 'serve';
    ctx.rows.push({
      scenario: '5 start-up',
      case: r.name,
      metric: 'ms',
      unit: 'ms',
      value: r.median,
      samples: r.runs,
      refs: [{ name: ref.name, value: ref.median, ratio: ratio(ref.median, r.median), samples: ref.runs }],
      goal: serve ? { text: '< 150 ms', met: r.median < 150 } : undefined,
      params: { runs, warmupRounds: 1, measured: serve ? 'spawn → first accepted TCP connection' : 'spawn → exit' },
      error: r.unavailable,
    });
  }
}

/** Idle half of scenario 6: broker VmRSS 1 s after ready, next to an idle node process. */
export async function idleMemory(ctx: Ctx): Promise<IdleMemory> {
  const idle: number[] = [];
  const binIdle: number[] = [];
  const nodeIdle: number[] = [];
  const binary = join(ctx.root, 'dist/kstream');
  let error: string | undefined;
  let binaryError: string | undefined;
  const once = async (command?: string): Promise<number> => {
    const b = await startKstream({ root: ctx.root, command });
    try {
      await new Promise((r) => setTimeout(r, 1000));
      return b.rssKb();
    } finally {
      await b.stop();
      b.cleanup();
    }
  };
  for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
    try {
      idle.push(await once());
    } catch (e) {
      error = (e as Error).message.split('\n').slice(0, 2).join(' ');
      break;
    }
    if (existsSync(binary) && !binaryError) {
      try {
        binIdle.push(await once(binary));
      } catch (e) {
        binaryError = (e as Error).message.split('\n').slice(0, 2).join(' ');
      }
    }
    nodeIdle.push(await nodeIdleRssKb());
  }
  return { idleRssKb: median(idle), nodeIdleRssKb: median(nodeIdle), binaryIdleRssKb: median(binIdle), binaryError, error };
}

export function memoryRows(ctx: Ctx, idle: IdleMemory, load: { peakRssKb: number; hwmKb: number; what: string }): void {
  const mb = (kb: number): number => kb / 1024;
  ctx.rows.push({
    scenario: '6 memory',
    case: 'node bin/kstream serve RSS idle',
    metric: 'RSS',
    unit: 'MiB',
    value: mb(idle.idleRssKb),
    samples: [],
    refs: [{ name: 'idle node', value: mb(idle.nodeIdleRssKb), ratio: ratio(idle.nodeIdleRssKb, idle.idleRssKb), samples: [] }],
    goal: { text: '< 80 MB (76.3 MiB)', met: idle.idleRssKb * 1024 < 80e6 },
    params: { measured: 'VmRSS 1 s after ready, median of 3 starts' },
    error: idle.error,
  });
  if (Number.isFinite(idle.binaryIdleRssKb) || idle.binaryError) {
    ctx.rows.push({
      scenario: '6 memory',
      case: 'dist/kstream serve RSS idle',
      metric: 'RSS',
      unit: 'MiB',
      value: mb(idle.binaryIdleRssKb),
      samples: [],
      refs: [{ name: 'idle node', value: mb(idle.nodeIdleRssKb), ratio: ratio(idle.nodeIdleRssKb, idle.binaryIdleRssKb), samples: [] }],
      goal: { text: '< 80 MB (76.3 MiB)', met: idle.binaryIdleRssKb * 1024 < 80e6 },
      params: { measured: 'VmRSS 1 s after ready, median of 3 starts' },
      error: idle.binaryError,
    });
  }
  ctx.rows.push({
    scenario: '6 memory',
    case: 'broker RSS under load',
    metric: 'RSS',
    unit: 'MiB',
    value: mb(load.peakRssKb),
    samples: [],
    also: `VmHWM ${mb(load.hwmKb).toFixed(0)} MiB`,
    refs: [],
    params: { measured: `peak of VmRSS sampled every 20 ms during ${load.what}` },
  });
}
