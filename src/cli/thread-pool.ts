/**
 * The size of libuv's thread pool, which runs every file operation (write, read, fdatasync) of the
 * broker. Node's default of 4 made a 1,000-partition broker's once-a-second fsync pass take longer
 * than the second itself (issue 20.2: 1,000 fdatasyncs took 250–600 ms on 4 threads and 70–180 ms on
 * 32 on the same disk, because a virtual or NVMe disk serves many at once), so each partition was
 * synced every 2–4 s under log.fsync=interval 1000. Kafka runs its I/O on `num.io.threads` (8) plus
 * its flusher and request threads; `serve` gets 16 pool threads.
 *
 * libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, so this must run before any
 * asynchronous file or DNS operation of the process; an operator's own UV_THREADPOOL_SIZE wins.
 */
export const SERVE_THREAD_POOL_SIZE = 16;

export function sizeThreadPool(commandId: string | undefined, env: NodeJS.ProcessEnv = process.env): void {
  if (commandId !== 'serve' || env.UV_THREADPOOL_SIZE !== undefined) return;
  env.UV_THREADPOOL_SIZE = String(SERVE_THREAD_POOL_SIZE);
}
