/**
 * A part of the broker made on first use by an async `load` (a dynamic import, a log to open): callers
 * that arrive while it loads share the one load, later ones get the loaded value. A failed load is not
 * remembered: the next call tries again, so a transient disk error or a module that failed to load does
 * not disable the feature for the life of the broker. Used for lazily loaded handlers (handler-table.ts),
 * the transaction coordinator and the client quota managers (broker.ts).
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}
