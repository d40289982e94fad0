/**
 * Waiting in tests. Every wait is bounded by a deadline that is a hang guard, not a measurement: a
 * condition that never holds fails the test with what it was waiting for, instead of hanging it.
 */

/** Polls `cond` until it holds; throws `timed out waiting for <what>` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 30_000, intervalMs = 50): Promise<void> {
  await pollFor(what, cond, { timeoutMs, intervalMs });
}

export interface PollOptions {
  /** The hang guard (default 30 s). */
  timeoutMs?: number;
  /** Between checks (default 50 ms). */
  intervalMs?: number;
  /**
   * A check that throws means "not yet" (a server still starting, a member not joined): polling goes on
   * and the deadline's error names the last failure. Without it the first error fails the wait at once.
   */
  retryErrors?: boolean;
}

/**
 * Polls `check` until it returns a value other than undefined or false, and resolves with that value;
 * throws `timed out waiting for <what>` after the deadline.
 */
export async function pollFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: PollOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (!opts.retryErrors) throw e;
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${timeoutMs} ms)${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(opts.intervalMs ?? 50);
  }
}

/** Polls `cond` until it holds or `ms` elapse; returns whether it came to hold. */
export async function eventually(cond: () => boolean | Promise<boolean>, ms: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await cond()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Lets resolved promise callbacks run (a macrotask turn: every queued microtask has run by then). */
export const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Resolves true if `p` settles within `ms`, false otherwise (for "the broker closed the connection" checks). */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((res) => (timer = setTimeout(() => res(false), ms)));
  const done = p.then(
    () => true as const,
    () => true as const,
  );
  const r = await Promise.race([done, timeout]);
  clearTimeout(timer);
  return r;
}
