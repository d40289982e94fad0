/**
 * Temp directories for tests, in two ownership styles over one implementation:
 *   tempDir()      → a path removed by closeAll() (integration tests that already call closeAll)
 *   makeTempDir()  → { dir, cleanup } that the test removes itself (unit tests with beforeEach/afterEach)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onRemove } from './cleanup.ts';

export interface TempDir {
  readonly dir: string;
  /** Removes the directory and everything in it (idempotent). */
  cleanup(): Promise<void>;
}

/** A fresh directory under the OS temp dir; the caller removes it with `cleanup()`. */
export async function makeTempDir(prefix = 'kstream-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A fresh directory under the OS temp dir; removed by closeAll() unless `keep`. */
export async function tempDir(prefix = 'kstream-test-', keep = false): Promise<string> {
  const { dir, cleanup } = await makeTempDir(prefix);
  if (!keep) onRemove(cleanup);
  return dir;
}
