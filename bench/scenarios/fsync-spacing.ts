/**
 * Scenario 11 (issue 20.2): is `log.fsync=interval` honoured? A broker with the default
 * log.fsync=interval and log.fsync.interval.ms=1000 (bench/lib/observed-broker.ts: the real broker
 * whose storage notes the time of every fdatasync) takes a steady load (our Producer, acks=1,
 * 5 records/s to each partition in turn, so every partition is dirty in every interval) on a topic of 10 and
 * one of 1,000 partitions. The figure is the largest gap between two consecutive syncs of the same
 * `.log` file while it was being written (p50 beside), so "an acknowledged record is on disk within
 * the interval" is measured, not assumed. Goal: ≤ interval + 10 %.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { createTopic } from '../lib/client.ts';
import type { Ctx } from '../lib/context.ts';
import { killGroup, removeOnExit, start } from '../lib/proc.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const INTERVAL_MS = 1000;
/** Records per second per partition, sent round-robin so that every partition is written in every interval. */
const PER_PARTITION_RATE = 5;
const VALUE = Buffer.alloc(100, 'x');

interface Sync {
  path: string;
  at: number;
}

/** Gaps (ms) between consecutive syncs of each `.log` file of `topic` up to `until` (the shutdown flush is not a tick). */
export function syncGaps(syncs: readonly Sync[], topic: string, until: number): number[] {
  const byPath = new Map<string, number[]>();
  for (const s of syncs) {
    if (s.at > until || !s.path.endsWith('.log') || !s.path.includes(`/${topic}-`)) continue;
    const list = byPath.get(s.path) ?? [];
    list.push(s.at);
    byPath.set(s.path, list);
  }
  const gaps: number[] = [];
  for (const times of byPath.values()) for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  return gaps;
}

/** Starts the observed broker, loads `partitions` for `seconds`, stops it and returns the .log sync gaps. */
async function steadyLoad(ctx: Ctx, partitions: number, seconds: number): Promise<number[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kstream-bench-fsync-'));
  removeOnExit(dataDir);
  const out = join(dataDir, 'syncs.json');
  const child = start(process.execPath, [join(ctx.root, 'bench/lib/observed-broker.ts'), dataDir, out], { cwd: ctx.root });
  const topic = `fsync-${partitions}`;
  let loadEnd = 0;
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let text = '';
      child.child.stdout!.on('data', (b: Buffer) => {
        text += b.toString();
        const m = /listening on [^:]+:(\d+)/.exec(text);
        if (m) resolve(Number(m[1]));
      });
      void child.exited.then(() => reject(new Error('observed broker exited before listening')));
    });
    const cluster = new Cluster({ bootstrap: [{ host: '127.0.0.1', port }], clientId: 'bench-fsync', requestTimeoutMs: 30_000 });
    try {
      await createTopic(cluster, topic, partitions);
      const p = new Producer(cluster, { acks: 1, idempotent: false, lingerMs: 5 });
      await p.connect();
      await p.prepareTopic(topic);
      const t0 = performance.now();
      let sent = 0;
      while (performance.now() - t0 < seconds * 1000) {
        const due = Math.floor(((performance.now() - t0) / 1000) * PER_PARTITION_RATE * partitions);
        for (; sent < due; sent++) if (!p.send({ topic, partition: sent % partitions, key: null, value: VALUE })) await p.waitForSpace();
        await sleep(5);
      }
      await p.flush();
      loadEnd = Date.now();
      await p.close();
    } finally {
      await cluster.close();
    }
    child.child.kill('SIGTERM');
    await child.exited;
    const { syncs } = JSON.parse(readFileSync(out, 'utf8')) as { syncs: Sync[] };
    return syncGaps(syncs, topic, loadEnd);
  } finally {
    killGroup(child.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function fsyncSpacingScenario(ctx: Ctx): Promise<void> {
  const seconds = ctx.quick ? 4 : 8;
  for (const partitions of [10, 1000]) {
    const gaps = await steadyLoad(ctx, partitions, seconds);
    if (gaps.length === 0) throw new Error(`no fdatasync of a .log file seen in ${seconds} s with ${partitions} partitions`);
    const worst = Math.max(...gaps);
    const limit = INTERVAL_MS * 1.1;
    ctx.log(`  fsync spacing, ${partitions} partitions: ${gaps.length} gaps, p50 ${median(gaps).toFixed(0)} ms, max ${worst.toFixed(0)} ms`);
    const row: Row = {
      scenario: '11 fsync spacing',
      case: `${partitions} partitions, log.fsync=interval ${INTERVAL_MS} ms`,
      metric: 'largest gap between syncs of one .log',
      unit: 'ms',
      value: worst,
      samples: gaps,
      also: `p50 ${median(gaps).toFixed(0)} ms over ${gaps.length} gaps`,
      refs: [],
      goal: { text: `≤ interval + 10 % (${limit} ms)`, met: worst <= limit },
      params: { partitions, recordsPerSecond: PER_PARTITION_RATE * partitions, seconds, intervalMs: INTERVAL_MS },
    };
    ctx.rows.push(row);
  }
}
