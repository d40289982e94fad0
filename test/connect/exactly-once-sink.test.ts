import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnectAndBrokers, fileSize, fsyncedSinkLength, killableWorkerProperties, readText, startConnectChild, waitFor } from './helpers.ts';

/**
 * The file sink with exactly.once=true: the worker is SIGKILLed ten times while it copies a topic into
 * a file (each time after it has written something new, so kills land mid-stream between the file
 * write and the fsynced sidecar); at the end the file is byte-identical to the topic — no line lost,
 * none duplicated.
 */

afterAll(closeConnectAndBrokers);

const KILLS = 10;
const PER_ROUND = 4000;

describe('exactly-once file sink', () => {
  it(`topic → file survives ${KILLS} SIGKILLs of the worker byte-identical`, async () => {
    const broker = await startTestBroker({ config: { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '0' } });
    const dir = await tempDir('kstream-connect-eos-');
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    try {
      await new Admin(cluster).createTopic('eos-in', { partitions: 1 });
      // Small batches, so the sink gets many small fetches (one big batch would be one put).
      const producer = new Producer(cluster, { batchSize: 4096 });
      await producer.prepareTopic('eos-in');
      const expected: string[] = [];
      const produceRound = async (round: number) => {
        for (let j = 0; j < PER_ROUND; j++) {
          const line = `round ${round} line ${j} ${'x'.repeat(j % 50)}`;
          expected.push(line);
          producer.send({ topic: 'eos-in', value: Buffer.from(line) });
        }
        await producer.flush();
      };

      await writeFile(join(dir, 'worker.properties'), killableWorkerProperties(broker.bootstrap, dir, 50));
      const out = join(dir, 'out.txt');
      await writeFile(join(dir, 'sink.json'), JSON.stringify({ name: 'eos-sink', config: { 'connector.class': 'FileStreamSink', file: out, topics: 'eos-in', 'exactly.once': 'true' } }));

      for (let i = 0; i < KILLS; i++) {
        await produceRound(i);
        const before = await fileSize(out);
        const w = await startConnectChild(dir, ['worker.properties', 'sink.json']);
        // Kill once the restarted worker has written past where the last one stopped (or truncated to).
        await waitFor(`round ${i}: progress in the sink file`, async () => (await fileSize(out)) > before, 90_000);
        w.kill('SIGKILL');
        expect(await w.exited).toBe('SIGKILL');
        if (process.env.KSTREAM_TEST_LOG) {
          const side = JSON.parse(await readText(`${out}.position`) || '{"fileLength":0}') as { fileLength: number };
          process.stderr.write(`round ${i}: killed with ${(await stat(out)).size} bytes written, ${side.fileLength} fsynced\n`);
        }
      }

      const w = await startConnectChild(dir, ['worker.properties', 'sink.json']);
      const want = expected.map((l) => `${l}\n`).join('');
      // The sidecar, not the file: the last killed worker may have written lines this worker's sink truncates at start.
      await waitFor('the sink to record every record as fsynced', async () => (await fsyncedSinkLength(out)) >= Buffer.byteLength(want), 120_000);
      w.kill('SIGTERM');
      expect(await w.exited).toBe(0);
      const got = await readFile(out, 'utf8');
      if (got !== want) {
        const g = got.split('\n');
        const firstDiff = g.findIndex((l, i) => l !== expected[i]);
        throw new Error(`sink file differs from the topic at line ${firstDiff}: got ${JSON.stringify(g[firstDiff])}, want ${JSON.stringify(expected[firstDiff])} (${g.length - 1} lines vs ${expected.length})`);
      }
      expect(got.length).toBe(want.length);
      const side = JSON.parse(await readFile(`${out}.position`, 'utf8'));
      expect(side).toEqual({ fileLength: Buffer.byteLength(want), offsets: [{ topic: 'eos-in', partition: 0, offset: expected.length }] });
    } finally {
      await cluster.close();
    }
  }, 600_000);
});
