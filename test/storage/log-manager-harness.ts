/**
 * The per-test LogManager set-up storage tests share: a fresh data dir and a fake clock for each test,
 * and every manager a test opened closed (and the dir removed) after it — so a failing test cannot leave
 * a manager holding the next test's files.
 */
import { afterEach, beforeEach } from 'vitest';
import { LogManager, type LogManagerOptions } from '../../src/storage/log-manager.ts';
import { makeTempDir } from '../helpers/index.ts';
import { memoryLogger } from './helpers.ts';

/** Where every test's clock starts: a fixed instant, so segment names and timestamps repeat run to run. */
export const CLOCK_START = 1_700_000_000_000;

export interface LogManagerHarness {
  /** The current test's data dir. */
  readonly dir: string;
  /** The fake clock managers opened here read (through `now`); tests move it to age segments. */
  clock: number;
  readonly now: () => number;
  /** Opens a LogManager on `dir` with this clock and a memory logger; `opts` adds or overrides options. */
  open(opts?: Partial<LogManagerOptions>): Promise<LogManager>;
  /**
   * Stops tracking the managers opened so far and leaves them open, as a crash leaves a broker's files
   * (no clean-shutdown marker), so the next `open` recovers; returns them for a test that closes them.
   */
  abandon(): LogManager[];
}

/** Registers the beforeEach/afterEach hooks of a storage test file and returns their shared state. */
export function useLogManagers(prefix = 'kstream-storage-'): LogManagerHarness {
  const managers: LogManager[] = [];
  let dir = '';
  let cleanup: () => Promise<void> = async () => undefined;
  const h: LogManagerHarness = {
    get dir() {
      return dir;
    },
    clock: CLOCK_START,
    now: () => h.clock,
    async open(opts = {}) {
      const m = await LogManager.open({ dataDir: dir, now: h.now, logger: memoryLogger(), ...opts });
      managers.push(m);
      return m;
    },
    abandon: () => managers.splice(0),
  };
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir(prefix));
    h.clock = CLOCK_START;
  });
  afterEach(async () => {
    // A test that already closed a manager (or crashed it on purpose) must not fail here on the second close.
    for (const m of managers.splice(0)) await m.close().catch(() => undefined);
    await cleanup();
  });
  return h;
}
