/**
 * Shutdown signals counted once however they arrive. Under bin/kstream's hand-over (bin/node24.js) a
 * signal sent to the whole process group reaches this process directly AND is relayed by the parent
 * as an IPC message; a signal sent to the parent alone arrives only as the message. Taking, per
 * signal, the larger of the two counts makes a group-wide SIGTERM one SIGTERM, while a second Ctrl-C
 * is still a second one (both counts reach 2).
 */

export type ShutdownSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
export type SignalHandler = (signal: ShutdownSignal, count: number) => void;

const SIGNALS: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const direct: Record<ShutdownSignal, number> = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
const relayed: Record<ShutdownSignal, number> = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
const seen: Record<ShutdownSignal, number> = { SIGINT: 0, SIGTERM: 0, SIGHUP: 0 };
const handlers = new Map<ShutdownSignal, Set<SignalHandler>>();
const processListeners = new Map<ShutdownSignal, () => void>();

function settle(signal: ShutdownSignal): void {
  const count = Math.max(direct[signal], relayed[signal]);
  if (count <= seen[signal]) return;
  seen[signal] = count;
  for (const h of [...(handlers.get(signal) ?? [])]) h(signal, count);
}

/**
 * Calls `handler(signal, n)` on the n-th SIGINT/SIGTERM/SIGHUP (of those listed) while registered;
 * returns the function that unregisters it (restoring the default action when no handler is left).
 */
export function onShutdownSignal(signals: readonly ShutdownSignal[], handler: SignalHandler): () => void {
  for (const s of signals) {
    let set = handlers.get(s);
    if (!set) handlers.set(s, (set = new Set()));
    set.add(handler);
    if (!processListeners.has(s)) {
      const l = () => {
        direct[s]++;
        settle(s);
      };
      processListeners.set(s, l);
      process.on(s, l);
    }
  }
  return () => {
    for (const s of signals) {
      const set = handlers.get(s);
      set?.delete(handler);
      if (set?.size === 0) {
        const l = processListeners.get(s);
        if (l) process.off(s, l);
        processListeners.delete(s);
      }
    }
  };
}

/**
 * Resolves on the first of `signals` (counted as above): what a long-running command awaits before it
 * stops cleanly. A second one means the user will not wait for that: exit 1 at once.
 */
export function firstShutdownSignal(signals: readonly ShutdownSignal[] = SIGNALS): Promise<ShutdownSignal> {
  return new Promise((resolve) => {
    onShutdownSignal(signals, (signal, count) => {
      if (count > 1) process.exit(1);
      resolve(signal);
    });
  });
}

interface RelayedSignal {
  kstreamSignal: ShutdownSignal;
  count: number;
}

function isRelayed(m: unknown): m is RelayedSignal {
  const r = m as RelayedSignal | null;
  return typeof r === 'object' && r !== null && SIGNALS.includes(r.kstreamSignal) && typeof r.count === 'number';
}

/** In a hand-over child (an IPC channel to bin/node24.js): take relayed signals; a no-op otherwise. */
export function listenForForwardedSignals(): void {
  if (typeof process.send !== 'function') return;
  process.on('message', (m: unknown) => {
    if (!isRelayed(m)) return;
    const s = m.kstreamSignal;
    relayed[s] = Math.max(relayed[s], m.count);
    if ((handlers.get(s)?.size ?? 0) > 0) settle(s);
    // Nobody here handles it: the default action (exit), unless other code listens for it (then it
    // got the group's copy, or it decides for itself).
    else if (process.listenerCount(s) === 0 && relayed[s] > direct[s]) process.kill(process.pid, s);
  });
  // The channel must not keep the process alive once the command is done.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
}
