import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { settlesWithin, startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnectAndBrokers, standaloneWorkerProps, startWorker } from './helpers.ts';

/**
 * A worker closed while its sink task is still starting (`kstream connect standalone` SIGTERMed right
 * after its ready line) stops that task. The task's stop() came before its consumer's run() (or before
 * the consumer existed); the stop used to be lost, the consumer fetched for ever with every batch
 * dropped, and the worker never exited (file-roundtrip-eos.test.ts hung at 600 s whenever its last
 * SIGTERM landed during start-up).
 */

afterAll(closeConnectAndBrokers);

describe('a sink task stopped while starting', () => {
  // topics: stopped after creating its consumer; topics.regex: stopped before (while listing topics).
  it.each([['topics', 'stop-starting'], ['topics.regex', 'stop-start.*']])('stops (%s): the worker closes without waiting out the graceful-stop timeout', async (key, value) => {
    const broker = await startTestBroker();
    const dir = await tempDir('kstream-connect-stop-starting-');
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    try {
      // The topic exists, so nothing but the stop can end the task's consumer.
      await new Admin(cluster).createTopic('stop-starting', { partitions: 1 });
    } finally {
      await cluster.close();
    }
    // A long grace: a task that ignores its stop holds close() up for the whole of it.
    const props = standaloneWorkerProps(broker.bootstrap, dir, { 'task.shutdown.graceful.timeout.ms': '20000' });
    const sink = { name: 'stop-starting-sink', 'connector.class': 'FileStreamSink', file: join(dir, 'out.txt'), [key]: value };
    const w = await startWorker(props, [sink]);
    // At once: the task is still between creating its consumer and running it.
    expect(await settlesWithin(w.close(), 8000)).toBe(true);
    expect(w.logs.filter((l) => l.includes('did not stop'))).toEqual([]);
  }, 60_000);
});
