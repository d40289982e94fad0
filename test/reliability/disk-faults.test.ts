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
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, RawClient, type ChildBroker } from '../broker/helpers.ts';
import { batchOf, createTopic, produceTo, readAll, startServe } from './helpers.ts';

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

describe.skipIf(!canMount)(`disk faults${canMount ? '' : ' (skipped: mount -t tmpfs not permitted here)'}`, () => {
  it('disk full: 56 KAFKA_STORAGE_ERROR, logged, acked data intact, appends resume when space returns', { timeout: 60_000 }, async () => {
    const dataDir = join(mountPoint!, 'full');
    let child: ChildBroker = await startServe({ dataDir, args: ['--fsync', 'always'] });
    const c = await RawClient.connect(child.port);
    const acked: number[] = [];
    try {
      await createTopic(c, 'df', 1);
      // Ballast to free later: the log gets whatever the ballast leaves.
      await writeFile(join(mountPoint!, 'ballast'), Buffer.alloc(512 * 1024));
      const first = await fillUp(c, 'df', 0, 500);
      acked.push(...first.acked);
      expect(first.error, 'the disk never filled up').not.toBeNull();
      expect(first.error!.code, first.error!.message).toBe(56);
      expect(first.acked.length).toBeGreaterThan(10);
      // Says so clearly: the OS error and the file.
      expect(child.output()).toMatch(/ERROR .*df-0.*ENOSPC/);

      // Still serving: metadata, and reads of everything acknowledged (nothing torn by the failed write).
      const m = await c.request(3, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
      expect(m.topics.map((t: any) => t.name)).toContain('df');
      await expectExactly(child.port, 'df', acked);
      // Still full: still 56, still nothing damaged.
      expect((await produceTo(c, 'df', 0, batchOf([value(9999)]))).errorCode).toBe(56);

      // Free space: appends resume at the next offset.
      await rm(join(mountPoint!, 'ballast'));
      const second = await fillUp(c, 'df', 1000, 5);
      expect(second.error).toBeNull();
      acked.push(...second.acked);
      await expectExactly(child.port, 'df', acked);
    } finally {
      c.close();
      await rm(join(mountPoint!, 'ballast'), { force: true });
    }
    // Crash and restart: every acknowledged record is still there.
    child.kill('SIGKILL');
    await child.exited;
    child = await startServe({ dataDir });
    await expectExactly(child.port, 'df', acked);
    child.kill('SIGTERM');
    expect(await child.exited).toBe(0);
    await rm(dataDir, { recursive: true, force: true });
    console.log(`disk: full disk → 56 after ${first_n(acked)} acknowledged 20 KB records; all ${acked.length} readable after space returned and after SIGKILL`);
  });

  it('read-only data dir: the broker refuses to start with a clear reason; writable again → everything acked is there', { timeout: 60_000 }, async () => {
    const dataDir = join(mountPoint!, 'ro');
    let child: ChildBroker = await startServe({ dataDir });
    const c = await RawClient.connect(child.port);
    let acked: number[];
    try {
      await createTopic(c, 'ro', 1);
      const r = await fillUp(c, 'ro', 0, 10);
      expect(r.error).toBeNull();
      acked = r.acked;
    } finally {
      c.close();
    }
    // Crash, then the disk turns read-only (a remount while files are open for writing is refused by Linux).
    child.kill('SIGKILL');
    await child.exited;
    execFileSync('mount', ['-o', 'remount,ro', mountPoint!]);
    try {
      const err = await startServe({ dataDir }).then(
        (b) => {
          b.kill('SIGKILL');
          return null;
        },
        (e: Error) => e,
      );
      expect(err, 'the broker started on a read-only data dir').not.toBeNull();
      expect(err!.message).toMatch(/EROFS|read-only/);
      expect(err!.message).toContain(mountPoint!);
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mountPoint!]);
    }
    child = await startServe({ dataDir });
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

function first_n(acked: number[]): number {
  return acked.filter((i) => i < 1000).length;
}
