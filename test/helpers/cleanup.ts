/**
 * The one registry of things tests started: brokers and child processes are stopped first, then temp
 * dirs are removed (a broker must let go of its data dir before the dir goes). `closeAll()` runs both.
 */
const stoppers = new Set<() => Promise<void>>();
const removers = new Set<() => Promise<void>>();

/** Registers a stop function (broker, child process); returns a wrapper that runs it once and unregisters it. */
export function onStop(stop: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => {
    stoppers.delete(once);
    return (done ??= stop());
  };
  stoppers.add(once);
  return once;
}

/** Registers a temp-dir removal, run by closeAll() after every stop function. */
export function onRemove(remove: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  const once = () => {
    removers.delete(once);
    return (done ??= remove());
  };
  removers.add(once);
  return once;
}

/** Closes every broker, child process and temp dir started through these helpers. */
export async function closeAll(): Promise<void> {
  await Promise.allSettled([...stoppers].map((c) => c()));
  await Promise.allSettled([...removers].map((c) => c()));
}
