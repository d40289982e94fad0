/**
 * Scenario 10 (issue 20.3): what committed offsets cost a broker restart. A child `kstream serve` gets
 * a 10-partition topic and N standalone offset commits (OffsetCommit, generation -1, one partition
 * each, 16 groups committing concurrently — each commit is a record in __consumer_offsets); it is
 * stopped with SIGTERM and started again on the same data dir. Measured: spawn → port accepts
 * (readyMs), ready → the first OffsetFetch answers with the last committed offset (the groups are
 * usable again), and VmRSS 1 s after ready. Reference: the same sequence with no commits, in the same
 * repetition. Ratio = reference time / kstream time (higher is better; 1.00 = commits cost nothing).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GroupMember } from '../../src/client/group-member.ts';
import { fetchCommittedOffsets } from '../../src/client/group-offsets.ts';
import { startKstream } from '../lib/broker.ts';
import { clusterFor, createTopic } from '../lib/client.ts';
import { overBudget, ratio, type Ctx } from '../lib/context.ts';
import { removeOnExit } from '../lib/proc.ts';
import type { Row } from '../lib/report.ts';
import { median } from '../lib/stats.ts';

const TOPIC = 'offsets-bench';
const PARTITIONS = 10;
const GROUPS = 16;

interface Restart {
  readyMs: number;
  offsetsMs: number;
  rssKb: number;
}

async function restartAfterCommits(ctx: Ctx, commits: number): Promise<Restart> {
  const dataDir = mkdtempSync(join(tmpdir(), 'kstream-bench-offsets-'));
  removeOnExit(dataDir);
  try {
    const first = await startKstream({ root: ctx.root, dataDir });
    let last = -1;
    try {
      const cluster = clusterFor(first, 'bench-offsets');
      try {
        await createTopic(cluster, TOPIC, PARTITIONS);
        const members = Array.from({ length: GROUPS }, (_, g) => new GroupMember(cluster, { groupId: `bench-g${g}`, topics: [] }));
        let next = 0;
        await Promise.all(
          members.map(async (m) => {
            for (let i = next++; i < commits; i = next++) await m.commit([{ topic: TOPIC, partition: i % PARTITIONS, offset: i }]);
          }),
        );
        last = commits - 1;
      } finally {
        await cluster.close();
      }
    } finally {
      await first.stop();
    }
    ctx.log(`  offsets restart: ${commits} commits done on port ${first.port}, restarting`);
    const b = await startKstream({ root: ctx.root, dataDir });
    try {
      const t0 = performance.now();
      ctx.log(`  offsets restart: restarted on port ${b.port} in ${b.readyMs.toFixed(0)} ms`);
      const cluster = clusterFor(b, 'bench-offsets-after');
      try {
        // The last commit (offset commits-1) went to partition (commits-1) % PARTITIONS of some group;
        // any group's committed offsets must be back. Check group 0 has something when there were commits.
        const got = await fetchCommittedOffsets(cluster, 'bench-g0', null);
        const offsetsMs = performance.now() - t0;
        if (commits > 0 && got.size === 0) throw new Error(`after restart group bench-g0 has no committed offsets (${commits} commits, last offset ${last})`);
        if (commits === 0 && got.size !== 0) throw new Error('group bench-g0 has offsets although nothing was committed');
        await new Promise((r) => setTimeout(r, 1000));
        return { readyMs: b.readyMs, offsetsMs, rssKb: b.rssKb() };
      } finally {
        await cluster.close();
      }
    } finally {
      await b.stop();
      b.cleanup();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function offsetsRestartScenario(ctx: Ctx): Promise<void> {
  // The figure: 1 M commits (--records lowers it).
  const n = ctx.quick ? 2_000 : Math.min(ctx.records, 1_000_000);
  const withC: Restart[] = [];
  const none: Restart[] = [];
  const startedAt = performance.now();
  for (let rep = 0; rep < Math.min(ctx.reps, 3); rep++) {
    if (rep > 0 && overBudget(ctx, startedAt, 90_000)) break;
    none.push(await restartAfterCommits(ctx, 0));
    withC.push(await restartAfterCommits(ctx, n));
    ctx.log(`  offsets restart rep ${rep + 1}: ${n} commits ready ${withC.at(-1)!.readyMs.toFixed(0)} ms, none ${none.at(-1)!.readyMs.toFixed(0)} ms`);
  }
  const rows: Array<[string, (r: Restart) => number, string]> = [
    ['restart: spawn → ready', (r) => r.readyMs, 'ms'],
    ['restart: ready → offsets fetched', (r) => r.offsetsMs, 'ms'],
    ['restart: RSS 1 s after ready', (r) => r.rssKb / 1024, 'MiB'],
  ];
  for (const [name, f, unit] of rows) {
    const ks = withC.map(f);
    const ref = none.map(f);
    const r = ratio(median(ref), median(ks));
    const row: Row = {
      scenario: '10 offsets restart',
      case: `${name}, ${n.toLocaleString('en')} commits`,
      metric: name,
      unit,
      value: median(ks),
      samples: ks,
      refs: [{ name: 'no commits', value: median(ref), ratio: r, samples: ref }],
      // Issue 20.3: start-up time and memory depend on live keys, not on history.
      goal: { text: 'within 1.5× of no commits (ratio ≥ 0.67)', met: r >= 1 / 1.5 },
      params: { commits: n, groups: GROUPS, partitions: PARTITIONS, reps: ks.length },
    };
    ctx.rows.push(row);
  }
}
