import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KafkaStorageError } from './errors.ts';
import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic } from './io.ts';

const LOCK_FILE = '.lock';

/**
 * One broker per data directory: `.lock` holds the owner's pid. A lock left by a process that is gone
 * (or a zombie) is taken over; one held by a live process refuses the start.
 */
export async function acquireDataDirLock(io: StorageIO, dataDir: string): Promise<void> {
  const lock = join(dataDir, LOCK_FILE);
  try {
    const pid = Number((await io.readFile(lock)).toString('utf8').trim());
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
      throw new KafkaStorageError(`data directory ${dataDir} is in use by another kstream process (pid ${pid}, ${lock})`);
    }
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  await writeFileAtomic(io, lock, Buffer.from(`${process.pid}\n`));
}

export async function releaseDataDirLock(io: StorageIO, dataDir: string): Promise<void> {
  await io.unlink(join(dataDir, LOCK_FILE)).catch(() => undefined);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A SIGKILLed process its parent has not reaped yet is a zombie: it holds nothing, treat it as gone.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

