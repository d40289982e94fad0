import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaStorageError } from '../../src/storage/errors.ts';
import { LogManager } from '../../src/storage/log-manager.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { batchOf, listBatches, memoryLogger } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

/**
 * A real full disk: a 1 MiB tmpfs. Needs permission to mount (root in a container that allows it);
 * where mounting is refused the test is skipped — the injected-fault tests in durability.test.ts
 * cover the same paths everywhere.
 */
let mnt = '';
let mounted = false;
beforeAll(async () => {
  mnt = await mkdtemp(join(tmpdir(), 'kstream-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'ignore' });
    mounted = true;
  } catch {
    mounted = false;
  }
});
afterAll(async () => {
  if (mounted) execFileSync('umount', ['-l', mnt], { stdio: 'ignore' });
  await rm(mnt, { recursive: true, force: true });
});

describe('a really full disk (tiny tmpfs)', () => {
  it('answers KAFKA_STORAGE_ERROR with ENOSPC, keeps every acknowledged batch, and recovers when space returns', async (ctx) => {
    if (!mounted) ctx.skip();
    const dataDir = join(mnt, 'data');
    const logger = memoryLogger();
    const m = await LogManager.open({ dataDir, logger, config: { durability: { mode: 'never' } } });
    await m.createTopic('full', { partitions: 1 });
    const log = m.partition('full', 0)!;
    // Leave ~200 KiB free by parking a filler file, then fill the rest with 20 KiB batches.
    const free = Number(execFileSync('df', ['--output=avail', '-B1', mnt]).toString().trim().split('\n')[1]);
    await writeFile(join(mnt, 'filler'), Buffer.alloc(Math.max(0, free - 200 * 1024)));
    const acked: number[] = [];
    let failure: unknown = null;
    for (let i = 0; i < 100 && !failure; i++) {
      try {
        acked.push((await log.append(batchOf(4, Date.now(), `full${i}`, 5000), { logAppendTime: false })).baseOffset);
      } catch (e) {
        failure = e;
      }
    }
    expect(failure).toBeInstanceOf(KafkaStorageError);
    expect((failure as KafkaStorageError).errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
    expect((failure as KafkaStorageError).osCode).toBe('ENOSPC');
    expect(logger.lines.some((l) => l.startsWith('ERROR') && l.includes('ENOSPC'))).toBe(true);
    expect(acked.length).toBeGreaterThan(3);
    const logPath = join(dataDir, 'full-0', '00000000000000000000.log');
    expect((await stat(logPath)).size).toBe(log.segmentList[0]!.size); // no partial batch left behind
    expect(listBatches((await log.read(0, 1 << 20)).records).map((b) => b.baseOffset)).toEqual(acked);
    // Closing on the full disk never throws (without room for the indexes it just skips the
    // clean-shutdown marker, and the next start re-validates).
    await expect(m.close()).resolves.toBeUndefined();
    await unlink(join(mnt, 'filler'));
    const m2 = await LogManager.open({ dataDir, logger: memoryLogger() });
    const log2 = m2.partition('full', 0)!;
    expect(await verifyPartition(log2)).toEqual([]);
    expect(log2.logEndOffset).toBe(acked.length * 4);
    // Space came back: appends continue where they stopped.
    expect((await log2.append(batchOf(1, Date.now(), 'after', 10), { logAppendTime: false })).baseOffset).toBe(acked.length * 4);
    await m2.close();
  });
});
