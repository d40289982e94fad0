/**
 * CPU profiles of the broker under load: `npm run bench:profile` (node bench/profile.ts).
 *   produce: `kstream serve` under `node --cpu-prof`, kcat -P of N × 100 B (acks=1) and N/4 × 1 KiB;
 *   fetch:   the same data dir served by a fresh profiled broker, kcat -C -e of both topics, twice.
 * The broker is stopped with SIGTERM so V8 writes the profile; each profile is summarised (self
 * time by function and file, mapped to the .ts sources) and kept under bench/profiles/.
 *
 *   node bench/profile.ts [--records N] [--top N] [--no-build]
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKstream } from './lib/broker.ts';
import { formatSummary, summarise } from './lib/cpuprofile.ts';
import { plainRecords } from './lib/data.ts';
import { kcatConsume, kcatProduce } from './lib/kcat.ts';
import { installCleanup, killAll, removeOnExit, run } from './lib/proc.ts';
import { FETCH_PROPS, PRODUCE_PROPS } from './scenarios/throughput.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    top: { type: 'string', default: '25' },
    'no-build': { type: 'boolean', default: false },
  },
});
const n = Number(opts.records);
const top = Number(opts.top);

installCleanup();
const tmp = mkdtempSync(join(tmpdir(), 'kstream-profile-'));
removeOnExit(tmp);
const dataDir = join(tmp, 'data');
mkdirSync(dataDir);
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const outDir = join(root, 'bench/profiles', stamp);

async function profiled(phase: string, work: (bootstrap: string) => Promise<void>): Promise<string | undefined> {
  const dir = join(outDir, phase);
  mkdirSync(dir, { recursive: true });
  const b = await startKstream({ root, dataDir, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  try {
    await work(b.bootstrap);
  } finally {
    await b.stop(30_000);
    b.cleanup();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) {
    process.stderr.write(`${phase}: no .cpuprofile written (did the broker exit cleanly on SIGTERM?)\n`);
    return undefined;
  }
  return join(dir, file);
}

try {
  if (!opts['no-build']) {
    const r = await run('npm', ['run', 'build', '--silent'], { timeoutMs: 300_000, cwd: root });
    if (r.code !== 0) throw new Error(`npm run build failed\n${r.stdout}${r.stderr}`);
  }
  const small = plainRecords(tmp, n, 100);
  const big = plainRecords(tmp, Math.max(1, n >> 2), 1024);
  const props = { ...PRODUCE_PROPS, acks: '1' };
  const produce = await profiled('produce', async (bootstrap) => {
    for (const [topic, f] of [['p100', small], ['p1k', big]] as const) {
      const r = await kcatProduce({ bootstrap, topic, file: f.path, props, timeoutMs: 300_000 });
      process.stderr.write(`produce ${topic}: ${f.count} records in ${(r.ms / 1000).toFixed(2)} s\n`);
    }
  });
  const fetch = await profiled('fetch', async (bootstrap) => {
    for (let i = 0; i < 2; i++) {
      for (const topic of ['p100', 'p1k']) {
        const r = await kcatConsume(bootstrap, topic, 300_000, FETCH_PROPS);
        process.stderr.write(`fetch ${topic}: ${(r.ms / 1000).toFixed(2)} s\n`);
      }
    }
  });
  for (const [phase, file] of [['produce', produce], ['fetch', fetch]] as const) {
    if (file) process.stdout.write('\n' + formatSummary(summarise(file, root, top), `${phase} (${file})`));
  }
} catch (e) {
  process.stderr.write(`profile failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
