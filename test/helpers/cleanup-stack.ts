/**
 * Per-test undo steps for tests that own what they start (rather than leaving it to closeAll): each is
 * registered as soon as the thing exists, and after each test they run last-in first-out — clients
 * before the broker they talk to, the broker before its data dir. A step that fails (already closed,
 * or the test broke it on purpose) does not stop the others.
 */
import { afterEach } from 'vitest';
import { makeTempDir } from './temp.ts';

export interface CleanupStack {
  /** Runs `undo` after the current test, before everything registered earlier. */
  defer(undo: () => unknown): void;
  /** A fresh temp dir, removed after the current test once everything registered after it has run. */
  tempDir(prefix?: string): Promise<string>;
}

/** Registers the afterEach hook of a test file and returns the stack it unwinds. */
export function useCleanupStack(): CleanupStack {
  const undos: (() => unknown)[] = [];
  afterEach(async () => {
    for (const undo of undos.splice(0).reverse()) {
      try {
        await undo();
      } catch {
        // best effort: the test already failed, or the resource is gone
      }
    }
  });
  const defer = (undo: () => unknown): void => void undos.push(undo);
  return {
    defer,
    async tempDir(prefix) {
      const { dir, cleanup } = await makeTempDir(prefix);
      defer(cleanup);
      return dir;
    },
  };
}
