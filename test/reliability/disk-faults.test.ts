/**
 * Disk faults under a running compiled broker: its data dir is a tiny tmpfs (2 MiB), so the disk
 * really fills up (ENOSPC) and can really be made read-only (remount ro → EROFS). Produce must get
 * KAFKA_STORAGE_ERROR (56), the broker must log the OS error, keep serving other requests (Metadata,
 * Fetch of what is stored), damage nothing already acknowledged, and accept appends again once there
 * is room; after a SIGKILL and a restart everything acknowledged is still readable.
 *
 * Needs `mount -t tmpfs` (root or CAP_SYS_ADMIN); skipped with the reason in its name otherwise.
 * The storage layer's own injected-fault tests are in test/storage/.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { open, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, RawClient, type ChildBroker } from '../helpers/index.ts';
import { batchOf, createTopic, produceTo, readAll, startServe } from './helpers.ts';
import { CreateTopicsFacts, MetadataFacts, OffsetCommitFacts } from '../../src/protocol/messages/api-facts.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

function tryMount(): string | null {
  const dir = mkdtempSync(join(tmpdir(), 'kstream-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', dir], { stdio: 'ignore' });
    return dir;
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

const mountPoint = tryMount();
const canMount = mountPoint !== null;

afterAll(async () => {
  await closeAll();
  if (mountPoint) {
    try {
      execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    } finally {
      rmSync(mountPoint, { recursive: true, force: true });
    }
  }
});

const value = (i: number) => `rec-${i}-${'d'.repeat(20_000)}`;

/** Produces 20 KB records one per request until the broker answers an error; returns acked indexes and that error. */
async function fillUp(c: RawClient, topic: string, from: number, max: number): Promise<{ acked: number[]; error: { code: number; message: string } | null }> {
  const acked: number[] = [];
  for (let i = from; i < from + max; i++) {
    const r = await produceTo(c, topic, 0, batchOf([value(i)]));
    if (r.errorCode !== 0) return { acked, error: { code: r.errorCode, message: r.errorMessage } };
    acked.push(i);
  }
  return { acked, error: null };
}

async function expectExactly(port: number, topic: string, acked: number[]): Promise<void> {
  const rb = await readAll(port, topic);
  expect(rb.records.map((r) => r.offset)).toEqual(acked.map((_, i) => i));
  expect(rb.records.length).toBe(acked.length);
  rb.records.forEach((r, i) => {
    if (r.value !== value(acked[i]!)) expect.fail(`offset ${i} holds ${r.value.slice(0, 12)}, expected rec-${acked[i]}`);
  });
}

/** A broker on `dataDir` takes 10 records (of room enough) into a new topic, then is SIGKILLed: the acked indexes. */
async function ackTenThenCrash(dataDir: string, topic: string): Promise<number[]> {
  const child = await startServe({ dataDir });
  const c = await RawClient.connect(child.port);
  try {
    await createTopic(c, topic, 1);
    const r = await fillUp(c, topic, 0, 10);
    expect(r.error).toBeNull();
    return r.acked;
  } finally {
    c.close();
    child.kill('SIGKILL');
    await child.exited;
  }
}

/** Why a broker would not start on `dataDir`, or null if it started (it is killed again at once). */
function startError(dataDir: string): Promise<Error | null> {
  return startServe({ dataDir }).then(
    (b) => {
      b.kill('SIGKILL');
      return null;
    },
    (e: Error) => e,
  );
}

describe.skipIf(!canMount)(`disk faults${canMount ? '' : ' (skipped: mount -t tmpfs not permitted here)'}`, () => {
  for (const segmentBytes of [0, 65536]) {
    const rolls = segmentBytes > 0;
    it(`disk full${rolls ? ' while segments roll every ~3 records' : ''}: 56 KAFKA_STORAGE_ERROR, logged, acked data intact, appends resume when space returns`, { timeout: 60_000 }, async () => {
      await emptyMount();
      const dataDir = join(mountPoint!, rolls ? 'full-rolling' : 'full');
      let child: ChildBroker = await startServe({ dataDir, args: ['--fsync', 'always'] });
      const c = await RawClient.connect(child.port);
      const acked: number[] = [];
      try {
        await createTopic(c, 'df', 1, rolls ? { 'segment.bytes': String(segmentBytes) } : {});
        // Ballast to free later: the log gets whatever the ballast leaves.
        await writeFile(join(mountPoint!, 'ballast'), Buffer.alloc(512 * 1024));
        const first = await fillUp(c, 'df', 0, 500);
        acked.push(...first.acked);
        expect(first.error, 'the disk never filled up').not.toBeNull();
        expect(first.error!.code, first.error!.message).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
        expect(first.acked.length).toBeGreaterThan(10);
        // Says so clearly: the OS error and the file.
        expect(child.output()).toMatch(/ERROR .*df-0.*ENOSPC/);

        // Still serving: metadata, and reads of everything acknowledged (nothing torn by the failed write).
        const m = await c.request(MetadataFacts, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
        expect(m.topics.map((t: any) => t.name)).toContain('df');
        await expectExactly(child.port, 'df', acked);
        // Still full: still 56, still nothing damaged.
        expect((await produceTo(c, 'df', 0, batchOf([value(9999)]))).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
        // Fill the last free pages too (a 20 KB record no longer fits, smaller files still might).
        await fillToTheBrim(join(mountPoint!, 'brim'));
        // Topic creation on a full disk fails with an error answer, and leaves no half-made topic behind.
        const ct = await c.request(CreateTopicsFacts, 7, { topics: [{ name: 'df-new', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
        expect(ct.topics[0].errorCode, 'CreateTopics on a full disk').not.toBe(0);
        // Committing an offset on a full disk: an error answer, not a dropped connection.
        const oc = await c.request(OffsetCommitFacts, 7, { groupId: 'g', generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'df', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
        expect(typeof oc.topics[0].partitions[0].errorCode).toBe('number');

        // Free space: appends resume at the next offset.
        await rm(join(mountPoint!, 'ballast'));
        await rm(join(mountPoint!, 'brim'));
        const second = await fillUp(c, 'df', 1000, 5);
        expect(second.error, second.error?.message).toBeNull();
        acked.push(...second.acked);
        await expectExactly(child.port, 'df', acked);
        // The topic whose creation failed is either absent or whole; creating it now works.
        const again = await c.request(CreateTopicsFacts, 7, { topics: [{ name: 'df-new', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
        expect([ErrorCode.NONE, ErrorCode.TOPIC_ALREADY_EXISTS], `CreateTopics after space returned: ${again.topics[0].errorMessage}`).toContain(again.topics[0].errorCode);
        for (let p = 0; p < 4; p++) expect((await produceTo(c, 'df-new', p, batchOf(['x']))).errorCode, `df-new-${p}`).toBe(0);
      } finally {
        c.close();
        await rm(join(mountPoint!, 'ballast'), { force: true });
        await rm(join(mountPoint!, 'brim'), { force: true });
      }
      // Crash and restart: every acknowledged record is still there.
      child.kill('SIGKILL');
      await child.exited;
      child = await startServe({ dataDir });
      await expectExactly(child.port, 'df', acked);
      child.kill('SIGTERM');
      expect(await child.exited).toBe(0);
      await rm(dataDir, { recursive: true, force: true });
      console.log(`disk: full disk${rolls ? ' (rolling)' : ''} → 56 after ${first_n(acked)} acknowledged 20 KB records; all ${acked.length} readable after space returned and after SIGKILL`);
    });
  }

  it('full disk at start: the broker refuses to start naming the data dir and ENOSPC; with room again, everything acked is there', { timeout: 60_000 }, async () => {
    await emptyMount();
    const dataDir = join(mountPoint!, 'full-start');
    const acked = await ackTenThenCrash(dataDir, 'fs');
    await fillToTheBrim(join(mountPoint!, 'brim'));
    try {
      const err = await startError(dataDir);
      console.log(`disk: start on a full disk → ${err === null ? 'started' : err.message.split('\n').find((l) => /ENOSPC/.test(l))}`);
      if (err !== null) {
        expect(err.message).toMatch(/ENOSPC/);
        expect(err.message, 'the reason names the data directory').toContain(dataDir);
      }
    } finally {
      await rm(join(mountPoint!, 'brim'), { force: true });
    }
    const child = await startServe({ dataDir });
    await expectExactly(child.port, 'fs', acked);
    child.kill('SIGTERM');
    await child.exited;
  });

  it('read-only data dir: the broker refuses to start with a clear reason; writable again → everything acked is there', { timeout: 60_000 }, async () => {
    await emptyMount();
    const dataDir = join(mountPoint!, 'ro');
    const acked = await ackTenThenCrash(dataDir, 'ro');
    // The disk turns read-only after the crash (a remount while files are open for writing is refused by Linux).
    execFileSync('mount', ['-o', 'remount,ro', mountPoint!]);
    try {
      const err = await startError(dataDir);
      expect(err, 'the broker started on a read-only data dir').not.toBeNull();
      expect(err!.message).toMatch(/EROFS|read-only/);
      expect(err!.message).toContain(mountPoint!);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint!]);
    }
    const child = await startServe({ dataDir });
    await expectExactly(child.port, 'ro', acked);
    const k = await RawClient.connect(child.port);
    try {
      expect((await produceTo(k, 'ro', 0, batchOf([value(10)]))).errorCode).toBe(0);
    } finally {
      k.close();
    }
    await expectExactly(child.port, 'ro', [...acked, 10]);
    child.kill('SIGTERM');
    await child.exited;
  });
});

/** Removes whatever an earlier (failed) test left on the tmpfs, so one failure does not cascade. */
async function emptyMount(): Promise<void> {
  for (const name of await readdir(mountPoint!)) await rm(join(mountPoint!, name), { recursive: true, force: true });
}

/** Appends 512-byte pieces to `path` until the file system says ENOSPC. */
async function fillToTheBrim(path: string): Promise<void> {
  const fh = await open(path, 'a');
  try {
    for (;;) await fh.write(Buffer.alloc(512));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    await fh.close();
  }
}

function first_n(acked: number[]): number {
  return acked.filter((i) => i < 1000).length;
}
