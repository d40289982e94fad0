/**
 * CPU profiles of the broker under load: `npm run bench:profile` (node bench/profile.ts).
 *   produce: `kstream serve` under `node --cpu-prof`, kcat -P of N × 100 B (acks=1) and N/4 × 1 KiB;
 *   fetch:   the same data dir served by a fresh profiled broker, kcat -C -e of both topics, twice.
 * The broker is stopped with SIGTERM so V8 writes the profile; each profile is summarised (self
 * time by function and file, mapped to the .ts sources) and kept under bench/profiles/.
 *
 * With --cli, the CLI processes are profiled too (against an unprofiled broker on the same data):
 *   `kstream produce` of N plain 100 B lines and of N JSON lines, `kstream consume -e` of the 100 B topic.
 *
 *   node bench/profile.ts [--records N] [--top N] [--cli] [--no-build]
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startKstream } from './lib/broker.ts';
import { formatSummary, summarise } from './lib/cpuprofile.ts';
import { jsonRecords, plainRecords } from './lib/data.ts';
import { kcatConsume, kcatProduce } from './lib/kcat.ts';
import { installCleanup, killAll, removeOnExit, run } from './lib/proc.ts';
import { FETCH_PROPS, PRODUCE_PROPS } from './scenarios/throughput.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '1000000' },
    top: { type: 'string', default: '25' },
    'no-build': { type: 'boolean', default: false },
    cli: { type: 'boolean', default: false },
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

/** `kstream produce` / `consume` under --cpu-prof against a plain broker; returns [phase, profile]. */
async function profileCli(): Promise<[string, string | undefined][]> {
  const b = await startKstream({ root, dataDir });
  const out: [string, string | undefined][] = [];
  try {
    const json = jsonRecords(tmp, n);
    const cases: [string, string[], { file: string } | 'ignore', { file: string } | 'ignore'][] = [
      ['cli-produce-plain', ['produce', 'cli-plain', '-b', b.bootstrap], { file: plainRecords(tmp, n, 100).path }, 'ignore'],
      ['cli-produce-json', ['produce', 'cli-json', '-b', b.bootstrap, '--format', 'json'], { file: json.path }, 'ignore'],
      ['cli-consume', ['consume', 'p100', '-b', b.bootstrap, '--from-beginning', '-e'], 'ignore', { file: '/dev/null' }],
    ];
    for (const [phase, args, stdin, stdout] of cases) {
      const dir = join(outDir, phase);
      mkdirSync(dir, { recursive: true });
      const r = await run(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(root, 'bin/kstream'), ...args], { stdin, stdout, timeoutMs: 300_000 });
      if (r.code !== 0) throw new Error(`${phase}: exit ${r.code}\n${r.stderr}`);
      process.stderr.write(`${phase}: ${(r.ms / 1000).toFixed(2)} s\n`);
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      out.push([phase, file ? join(dir, file) : undefined]);
    }
  } finally {
    await b.stop();
    b.cleanup();
  }
  return out;
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
  const phases: [string, string | undefined][] = [
    ['produce', produce],
    ['fetch', fetch],
  ];
  if (opts.cli) phases.push(...(await profileCli()));
  for (const [phase, file] of phases) {
    if (file) process.stdout.write('\n' + formatSummary(summarise(file, root, top), `${phase} (${file})`));
  }
} catch (e) {
  process.stderr.write(`profile failed: ${(e as Error).message}\n`);
  process.exitCode = 1;
} finally {
  killAll();
  rmSync(tmp, { recursive: true, force: true });
}
