/**
 * A `kstream serve` child whose storage reports every fdatasync/fsync it issues (file, wall-clock
 * start), for scenario 11. It is the real broker (startBroker, node:fs, the real disk); the only
 * difference is a wrapper around each file handle that notes the time of a sync before passing it
 * on. Watching from outside (strace) stopped the broker on every syscall and measured the tracer.
 *
 *   node bench/lib/observed-broker.ts DATA_DIR OUT_JSON [key=value …]
 *
 * Prints `listening on HOST:PORT` when ready; on SIGTERM closes the broker and writes
 * `{ syncs: [{ path, at }] }` to OUT_JSON.
 */
import { writeFileSync } from 'node:fs';
import { startBroker } from '../../src/broker/broker.ts';
import { buildConfig } from '../../src/broker/config.ts';
import { createLogger } from '../../src/broker/logger.ts';
import { sizeThreadPool } from '../../src/cli/thread-pool.ts';
import { nodeIO, type StorageFile, type StorageIO } from '../../src/storage/io.ts';

// As `kstream serve` does (cli.ts), before the first file operation.
sizeThreadPool('serve');

const [dataDir, out, ...settings] = process.argv.slice(2);
if (!dataDir || !out) throw new Error('usage: observed-broker.ts DATA_DIR OUT_JSON [key=value …]');

const syncs: { path: string; at: number }[] = [];
const observe = (path: string, f: StorageFile): StorageFile => ({
  write: (b, o, l, p) => f.write(b, o, l, p),
  read: (b, o, l, p) => f.read(b, o, l, p),
  truncate: (len) => f.truncate(len),
  datasync() {
    syncs.push({ path, at: Date.now() });
    return f.datasync();
  },
  sync() {
    syncs.push({ path, at: Date.now() });
    return f.sync();
  },
  stat: () => f.stat(),
  close: () => f.close(),
});
const io: StorageIO = { ...nodeIO, open: async (path, flags) => observe(path, await nodeIO.open(path, flags)) };

const config = buildConfig({ assignments: settings });
const broker = await startBroker({ host: '127.0.0.1', port: 0, dataDir, config, io, logger: createLogger('warn') });
process.stdout.write(`listening on ${broker.address.host}:${broker.address.port}\n`);
process.on('SIGTERM', () => {
  void broker.close().finally(() => {
    writeFileSync(out, JSON.stringify({ syncs }));
    process.exit(0);
  });
});
