/**
 * Scenario 3: the kstream CLI against kcat, same broker, same input, whole-process wall time
 * (start-up included — that is what a user waits for).
 *   produce: `kstream produce T < FILE` (plain lines, and `--format json` JSON lines) vs
 *            `kcat -P -t T < FILE` (kcat sends each line as the value); both with their defaults.
 *   consume: `kstream consume T --from-beginning -e > /dev/null` vs `kcat -C -o beginning -e > /dev/null`.
 */
import { join } from 'node:path';
import type { BrokerHandle } from '../lib/broker.ts';
import { performance } from 'node:perf_hooks';
import { overBudget, pairedRatio, type Ctx } from '../lib/context.ts';
import { jsonRecords, plainRecords, type RecordsFile } from '../lib/data.ts';
import { KCAT, kcatLastOffset } from '../lib/kcat.ts';
import { check, killGroup, run, start } from '../lib/proc.ts';
import { median } from '../lib/stats.ts';
import { FETCH_PROPS } from './throughput.ts';

function kstream(ctx: Ctx, args: string[]): [string, string[]] {
  return [process.execPath, [join(ctx.root, 'bin/kstream'), ...args]];
}

export async function cliScenario(ctx: Ctx, broker: BrokerHandle): Promise<void> {
  const n = ctx.records;
  const inputs: { name: string; file: RecordsFile; ksFlags: string[] }[] = [
    { name: 'plain lines 100 B', file: plainRecords(ctx.tmp, n, 100), ksFlags: [] },
    { name: 'JSON lines', file: jsonRecords(ctx.tmp, n), ksFlags: ['--format', 'json'] },
  ];
  let consumeTopic: string | undefined;
  for (const input of inputs) {
    const ks: number[] = [];
    const kc: number[] = [];
    let error: string | undefined;
    const t0 = performance.now();
    for (let rep = 0; rep < ctx.reps; rep++) {
      if (rep > 0 && overBudget(ctx, t0, 60_000, 60_000)) break;
      const kcTopic = `cli-kcat-${input.file.count}-${input.ksFlags.length ? 'json' : 'plain'}-r${rep}`;
      const r1 = check(
        await run(KCAT, ['-P', '-b', broker.bootstrap, '-t', kcTopic, '-q'], { stdin: { file: input.file.path }, timeoutMs: ctx.timeoutMs }),
        'kcat -P',
      );
      kc.push(n / (r1.ms / 1000));
      if (!input.ksFlags.length) consumeTopic ??= kcTopic;
      if (error) continue;
      const ksTopic = `cli-kstream-${input.file.count}-${input.ksFlags.length ? 'json' : 'plain'}-r${rep}`;
      try {
        const [cmd, args] = kstream(ctx, ['produce', ksTopic, '-b', broker.bootstrap, ...input.ksFlags]);
        const r2 = check(await run(cmd, args, { stdin: { file: input.file.path }, timeoutMs: ctx.timeoutMs }), 'kstream produce');
        const last = await kcatLastOffset(broker.bootstrap, ksTopic);
        if (last !== n - 1) throw new Error(`kstream produce left ${ksTopic} ending at offset ${last}, expected ${n - 1}`);
        ks.push(n / (r2.ms / 1000));
        ctx.log(`  cli produce ${input.name} rep ${rep + 1}: kstream ${(r2.ms / 1000).toFixed(2)} s, kcat ${(r1.ms / 1000).toFixed(2)} s`);
      } catch (e) {
        error = (e as Error).message.split('\n').slice(0, 2).join(' ');
        ctx.log(`  cli produce ${input.name}: ${error}`);
      }
    }
    const v = median(ks);
    const ref = median(kc);
    const r = pairedRatio(ks, kc);
    ctx.rows.push({
      scenario: '3 cli produce',
      case: input.name,
      metric: 'records/s',
      unit: 'rec/s',
      value: v,
      samples: ks,
      refs: [{ name: 'kcat -P', value: ref, ratio: r, samples: kc }],
      goal: { text: '≥ 1.0 of kcat', met: r >= 1 },
      params: { records: n, fileBytes: input.file.fileBytes, kstream: `kstream produce T ${input.ksFlags.join(' ')} < file`.replace('  ', ' '), kcat: 'kcat -P -t T < file (defaults)', reps: ctx.reps },
      error,
    });
  }

  // consume: both read the same topic written by kcat.
  const ks: number[] = [];
  const kc: number[] = [];
  const kcTuned: number[] = [];
  const tuned = Object.entries(FETCH_PROPS).flatMap(([k, v]) => ['-X', `${k}=${v}`]);
  let error: string | undefined = consumeTopic ? undefined : 'nothing produced to consume';
  const t0 = performance.now();
  for (let rep = 0; rep < ctx.reps && consumeTopic; rep++) {
    if (rep > 0 && overBudget(ctx, t0, 30_000, 30_000)) break;
    const r1 = check(
      await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', consumeTopic, '-o', 'beginning', '-e', '-q'], { stdout: { file: '/dev/null' }, timeoutMs: ctx.timeoutMs }),
      'kcat -C',
    );
    kc.push(n / (r1.ms / 1000));
    const r3 = check(
      await run(KCAT, ['-C', '-b', broker.bootstrap, '-t', consumeTopic, '-o', 'beginning', '-e', '-q', ...tuned], { stdout: { file: '/dev/null' }, timeoutMs: ctx.timeoutMs }),
      'kcat -C (tuned)',
    );
    kcTuned.push(n / (r3.ms / 1000));
    if (error) continue;
    try {
      const [cmd, args] = kstream(ctx, ['consume', consumeTopic, '-b', broker.bootstrap, '--from-beginning', '-e']);
      const r2 = check(await run(cmd, args, { stdout: { file: '/dev/null' }, timeoutMs: ctx.timeoutMs }), 'kstream consume');
      ks.push(n / (r2.ms / 1000));
      ctx.log(`  cli consume rep ${rep + 1}: kstream ${(r2.ms / 1000).toFixed(2)} s, kcat ${(r1.ms / 1000).toFixed(2)} s`);
    } catch (e) {
      error = (e as Error).message.split('\n').slice(0, 2).join(' ');
      ctx.log(`  cli consume: ${error}`);
    }
  }
  // One untimed check that kstream consume really printed every record.
  if (!error && consumeTopic) {
    const [cmd, args] = kstream(ctx, ['consume', consumeTopic, '-b', broker.bootstrap, '--from-beginning', '-e']);
    const lines = await countLines(cmd, args, ctx.timeoutMs);
    if (lines !== n) error = `kstream consume printed ${lines} lines, expected ${n}`;
  }
  const v = median(ks);
  const ref = median(kc);
  const r = pairedRatio(ks, kc);
  ctx.rows.push({
    scenario: '3 cli consume',
    case: 'plain lines 100 B',
    metric: 'records/s',
    unit: 'rec/s',
    value: v,
    samples: ks,
    refs: [
      { name: 'kcat -C -e', value: ref, ratio: r, samples: kc },
      { name: 'kcat -C -e (tuned as in 2)', value: median(kcTuned), ratio: pairedRatio(ks, kcTuned), samples: kcTuned },
    ],
    goal: { text: '≥ 1.0 of kcat', met: r >= 1 },
    params: {
      records: n,
      kstream: 'kstream consume T --from-beginning -e > /dev/null',
      kcat: 'kcat -C -o beginning -e > /dev/null',
      kcatTuned: { cmd: 'kcat -C -o beginning -e > /dev/null', ...FETCH_PROPS },
      reps: ctx.reps,
    },
    error,
  });
}

/** Run a command and count '\n' bytes of its stdout without keeping it. */
async function countLines(cmd: string, args: string[], timeoutMs: number): Promise<number> {
  const s = start(cmd, args, { stdout: 'pipe', stderr: 'ignore' });
  let lines = 0;
  s.child.stdout!.on('data', (d: Buffer) => {
    for (let i = d.indexOf(10); i !== -1; i = d.indexOf(10, i + 1)) lines++;
  });
  const t = setTimeout(() => killGroup(s.child), timeoutMs);
  await s.closed;
  clearTimeout(t);
  return lines;
}
