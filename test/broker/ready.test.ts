/**
 * Ready means ready (issue 20.4): the listener accepts only once the broker can answer. Storage is
 * held open (its I/O paused at one partition) and a TCP connect to the broker's port must be refused
 * until it is let go; a port already in use still fails at once, without touching the data dir.
 */
import { createServer, connect } from 'node:net';
import { readdir } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/broker.ts';
import { BrokerConfig } from '../../src/broker/config.ts';
import type { Logger } from '../../src/broker/logger.ts';
import { nodeIO, type StorageIO } from '../../src/storage/io.ts';
import { closeAll, freePort, startTestBroker, tempDir } from '../helpers/index.ts';

afterAll(closeAll);

function tcpConnects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

function recordingLogger(lines: string[]): Logger {
  const log = (m: string) => lines.push(m);
  return { debug() {}, info: log, warn: log, error: log };
}

describe('ready means ready', () => {
  it('refuses TCP while storage is still opening, accepts once it is open; says what opening cost', async () => {
    const dataDir = await tempDir();
    const first = await startTestBroker({ dataDir });
    await first.broker.context.logs.createTopic('held', { partitions: 2 });
    await first.close();

    let arrive!: () => void;
    let release!: () => void;
    const reached = new Promise<void>((r) => (arrive = r));
    const released = new Promise<void>((r) => (release = r));
    const io: StorageIO = {
      ...nodeIO,
      mkdir: async (path, opts) => {
        if (path.endsWith('/held-1')) {
          arrive();
          await released;
        }
        return nodeIO.mkdir(path, opts);
      },
    };
    const port = await freePort();
    const lines: string[] = [];
    const starting = startBroker({ host: '127.0.0.1', port, dataDir, config: new BrokerConfig(), logger: recordingLogger(lines), io });
    await reached;
    try {
      expect(await tcpConnects(port)).toBe(false);
    } finally {
      release();
    }
    const broker = await starting;
    try {
      expect(await tcpConnects(port)).toBe(true);
      expect(lines.join('\n')).toMatch(/storage opened in \d+ ms after a clean shutdown \(no recovery needed\): \d+ partitions, \d+ segments, \d+ bytes/);
      expect(lines.join('\n')).toMatch(/listening on 127\.0\.0\.1:\d+ .*ready in \d+ ms/);
    } finally {
      await broker.close();
    }
  });

  it('a port in use fails at once, before the data dir is touched', async () => {
    const busy = createServer();
    const port = await new Promise<number>((r) => busy.listen(0, '127.0.0.1', () => r((busy.address() as { port: number }).port)));
    try {
      const dataDir = await tempDir();
      await expect(startBroker({ host: '127.0.0.1', port, dataDir, config: new BrokerConfig(), logger: recordingLogger([]) })).rejects.toThrow(
        /cannot listen on 127\.0\.0\.1:\d+: address already in use/,
      );
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      busy.close();
    }
  });
});
