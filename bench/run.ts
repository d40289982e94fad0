/**
 * kstream benchmark: `npm run bench` (or `node bench/run.ts [--quick] [--only produce,fetch,…]`).
 * Builds dist/, runs each scenario against the real `kstream serve` child process next to an in-run
 * reference, prints a table of medians and ratios, and writes the JSON results file.
 * See bench/README.md for the scenarios, their parameters and the latest numbers.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKstream, type BrokerHandle } from './lib/broker.ts';
import type { Ctx } from './lib/context.ts';
import { KCAT } from './lib/kcat.ts';
import { installCleanup, killAll, removeOnExit, run } from './lib/proc.ts';
import { machine, table, type Row } from './lib/report.ts';
import { cliScenario } from './scenarios/cli.ts';
import { latencyScenario } from './scenarios/latency.ts';
import { offsetsRestartScenario } from './scenarios/offsets-restart.ts';
import { partitionsScenario } from './scenarios/partitions.ts';
import { replicationScenario } from './scenarios/replication.ts';
import { idleMemory, memoryRows, startupScenario, type IdleMemory } from './scenarios/startup.ts';
import { streamsScenario } from './scenarios/streams.ts';
import { fsyncSpacingScenario } from './scenarios/fsync-spacing.ts';
import { fetchScenario, produceScenario } from './scenarios/throughput.ts';
import { transactionsScenario } from './scenarios/transactions.ts';

const SCENARIOS = ['startup', 'produce', 'fetch', 'cli', 'latency', 'memory', 'transactions', 'partitions', 'streams', 'offsets', 'fsync', 'replication'] as const;
type Scenario = (typeof SCENARIOS)[number];

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    reps: { type: 'string' },
    records: { type: 'string' },
    sizes: { type: 'string' },
    out: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (opts.help) {
  process.stdout.write(`usage: node bench/run.ts [options]
  --quick            small counts, one repetition (CI smoke run, < 1 min)
  --only LIST        comma-separated subset of: ${SCENARIOS.join(', ')}
  --reps N           repetitions per measurement (default 5, quick 1; each scenario also has a time
                     share that may cut them short); medians are reported
  --records N        records per produce/fetch/CLI run (default 1000000, quick 20000)
  --sizes LIST       record value sizes in bytes for produce/fetch (default 100,1024)
  --out FILE         JSON results file (default bench/results/latest.json; latest-quick.json with
                     --quick, latest-partial.json with --only/--records/--sizes/--reps)
  --no-build         skip \`npm run build\`
`);
  process.exit(0);
}

const only = new Set<Scenario>(
  opts.only ? (opts.only.split(',').map((s) => s.trim()) as Scenario[]) : SCENARIOS,
);
for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; known: ${SCENARIOS.join(', ')}`);
// fetch reads what produce wrote; memory under load is sampled during produce.
if (only.has('fetch') || only.has('memory')) only.add('produce');

function posInt(v: string | undefined, def: number, name: string): number {
  if (v === undefined) return def;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

installCleanup();
const quick = opts.quick;
const t0 = performance.now();
// Scenarios 7–9 (client-driven) need ≈ 30 s more in quick mode.
const budgetMs = quick ? 90_000 : 9.5 * 60_000;
const tmp = mkdtempSync(join(tmpdir(), 'kstream-bench-'));
removeOnExit(tmp);
const ctx: Ctx = {
  root,
  tmp,
  quick,
  reps: posInt(opts.reps, quick ? 1 : 5, 'reps'),
  records: posInt(opts.records, quick ? 20_000 : 1_000_000, 'records'),
  timeoutMs: quick ? 30_000 : 120_000,
  deadline: t0 + budgetMs,
  rows: [] as Row[],
  log: (msg: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${msg}\n`),
};
const sizes = (opts.sizes ?? '100,1024').split(',').map((s) => posInt(s, 100, 'sizes'));

/**
 * Run `fn` with a fresh broker. When the broker cannot start, `fn` still runs with `undefined` so the
 * references are measured and the rows carry the start error.
 */
async function withBroker<T>(
  what: string,
  fn: (b: BrokerHandle | undefined, startError?: string) => Promise<T>,
  config?: Record<string, string | number>,
): Promise<T | undefined> {
  let b: BrokerHandle | undefined;
  let startError: string | undefined;
  try {
    b = await startKstream({ root, config });
  } catch (e) {
    startError = (e as Error).message.split('\n').slice(0, 2).join(' ');
    ctx.log(`${what}: ${startError}`);
  }
  try {
    return await fn(b, startError);
  } catch (e) {
    ctx.log(`${what}: ${(e as Error).stack}`);
    ctx.rows.push({ scenario: what, case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: (e as Error).message.split('\n')[0] });
    return undefined;
  } finally {
    if (b) {
      await b.stop();
      b.cleanup();
    }
  }
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0]!;
  const kcatV = (await run(KCAT, ['-V'], { timeoutMs: 5000 })).stdout.match(/Version (\S+).*?librdkafka (\S+)/s);
  const mach = machine(kcatV ? `${kcatV[1]} (librdkafka ${kcatV[2]})` : 'not found');
  ctx.log(`machine: ${mach.nproc} × ${mach.cpu}, kernel ${mach.kernel}, node ${mach.node}, kcat ${mach.kcat}`);
  if (!kcatV) throw new Error(`kcat not found (${KCAT}); install it (apt-get install kcat) or set KCAT`);

  if (!opts['no-build']) {
    ctx.log('npm run build');
    const b = await run('npm', ['run', 'build', '--silent'], { timeoutMs: 300_000, cwd: root });
    if (b.code !== 0) throw new Error(`npm run build failed:\n${b.stdout.slice(-3000)}${b.stderr.slice(-3000)}`);
  }
  // The time budget covers the measurements, not the build (50 s on the loaded machine).
  ctx.deadline = performance.now() + budgetMs;

  if (only.has('startup')) {
    ctx.log('scenario 5: start-up (bench/startup.ts)');
    await startupScenario(ctx);
  }
  let idle: IdleMemory | undefined;
  if (only.has('memory')) {
    ctx.log('scenario 6: idle memory');
    idle = await idleMemory(ctx);
  }

  let peakRssKb = 0;
  let hwmKb = 0;
  if (only.has('produce')) {
    for (const size of sizes) {
      if (performance.now() > ctx.deadline) break;
      await withBroker(`1 produce ${size} B`, async (b, startError) => {
        ctx.log(`scenario 1: produce ${ctx.records} × ${size} B`);
        const r = await produceScenario(ctx, b, size, startError);
        peakRssKb = Math.max(peakRssKb, r.peakRssKb);
        if (b) hwmKb = Math.max(hwmKb, b.peakRssKb());
        if (only.has('fetch')) {
          ctx.log(`scenario 2: fetch ${ctx.records} × ${size} B`);
          await fetchScenario(ctx, b, size, r.fetchTopics, startError);
        }
      });
    }
  }

  // Durable acks: every append fdatasynced before the answer — the case the disk reference is for.
  if (only.has('produce') && performance.now() < ctx.deadline) {
    const config = { 'log.fsync': 'always' };
    await withBroker('1 produce fsync', async (b, startError) => {
      ctx.log(`scenario 1: produce ${ctx.records} × 100 B, acks=all, log.fsync=always`);
      const r = await produceScenario(ctx, b, 100, startError, { acks: ['all'], label: ' fsync=always', brokerConfig: config });
      peakRssKb = Math.max(peakRssKb, r.peakRssKb);
    }, config);
  }

  if (only.has('cli') && performance.now() < ctx.deadline) {
    await withBroker('3 cli', async (b, startError) => {
      ctx.log(`scenario 3: CLI vs kcat, ${ctx.records} records`);
      if (b) await cliScenario(ctx, b);
      else ctx.rows.push({ scenario: '3 cli', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: startError });
    });
  }

  if (only.has('latency') && performance.now() < ctx.deadline) {
    await withBroker('4 latency', async (b, startError) => {
      ctx.log('scenario 4: end-to-end latency');
      if (b) await latencyScenario(ctx, b);
      else ctx.rows.push({ scenario: '4 latency', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: startError });
    });
  }

  // Scenarios 7–9 drive the broker with kstream's own client (src/client, src/streams), one broker each.
  const clientScenarios: Array<[Scenario, string, (b: BrokerHandle) => Promise<void>]> = [
    ['transactions', '7 transactions', (b) => transactionsScenario(ctx, b)],
    ['partitions', '8 partitions', (b) => partitionsScenario(ctx, b)],
    ['streams', '9 streams', (b) => streamsScenario(ctx, b)],
  ];
  for (const [name, label, fn] of clientScenarios) {
    if (!only.has(name) || performance.now() > ctx.deadline) continue;
    await withBroker(label, async (b, startError) => {
      ctx.log(`scenario ${label}`);
      if (b) await fn(b);
      else ctx.rows.push({ scenario: label, case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: startError });
    });
  }

  // Scenario 10 starts and restarts its own brokers on a kept data dir.
  if (only.has('offsets') && performance.now() < ctx.deadline) {
    ctx.log('scenario 10: offsets restart');
    try {
      await offsetsRestartScenario(ctx);
    } catch (e) {
      ctx.log(`10 offsets restart: ${(e as Error).stack}`);
      ctx.rows.push({ scenario: '10 offsets restart', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: (e as Error).message.split('\n')[0] });
    }
  }

  // Scenario 11 starts its own observed brokers (bench/lib/observed-broker.ts).
  if (only.has('fsync') && performance.now() < ctx.deadline) {
    ctx.log('scenario 11: fsync spacing');
    try {
      await fsyncSpacingScenario(ctx);
    } catch (e) {
      ctx.log(`11 fsync spacing: ${(e as Error).stack}`);
      ctx.rows.push({ scenario: '11 fsync spacing', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: (e as Error).message.split('\n')[0] });
    }
  }

  // Scenario 12 starts its own etcd and three cluster-mode brokers.
  if (only.has('replication') && performance.now() < ctx.deadline) {
    ctx.log('scenario 12: replication (3 brokers, RF 3 vs RF 1)');
    try {
      await replicationScenario(ctx);
    } catch (e) {
      ctx.log(`12 replication: ${(e as Error).stack}`);
      ctx.rows.push({ scenario: '12 replication', case: '', metric: '', unit: '', value: NaN, samples: [], refs: [], params: {}, error: (e as Error).message.split('\n')[0] });
    }
  }

  if (only.has('memory') && idle) memoryRows(ctx, idle, { peakRssKb, hwmKb, what: `produce of ${ctx.records} records (${sizes.join(', ')} B)` });

  const elapsed = (performance.now() - t0) / 1000;
  const load = { before: loadBefore, after: loadavg()[0]! };
  process.stdout.write(
    `\nkstream bench${quick ? ' (quick)' : ''}: ${mach.nproc} × ${mach.cpu}, node ${mach.node}, kcat ${mach.kcat}; ${elapsed.toFixed(0)} s, ` +
      `load average ${load.before.toFixed(1)} → ${load.after.toFixed(1)}\n`,
  );
  process.stdout.write('ratio: kstream relative to the reference, higher is better for kstream (1.00 = equal)\n\n');
  process.stdout.write(table(ctx.rows));
  // A partial or resized run never overwrites the full run's file.
  const partial = opts.only !== undefined || opts.records !== undefined || opts.sizes !== undefined || opts.reps !== undefined;
  const out = opts.out ?? join(root, 'bench/results', quick ? 'latest-quick.json' : partial ? 'latest-partial.json' : 'latest.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(
    out,
    JSON.stringify({ date: new Date().toISOString(), quick, reps: ctx.reps, records: ctx.records, sizes, elapsedSeconds: elapsed, loadAverage: load, machine: mach, rows: ctx.rows }, null, 2) + '\n',
  );
  process.stdout.write(`\nresults: ${out}\n`);
  // Timing never fails a run; a scenario that could not run (kstream broke) does, so CI notices.
  const failed = ctx.rows.filter((r) => r.error).length;
  if (failed > 0) {
    process.stderr.write(`${failed} measurement(s) could not run (see errors above)\n`);
    process.exitCode = 1;
  }
}

try {
  await main();
} catch (e) {
  process.stderr.write(`bench failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
