import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnectAndBrokers, fileSize, fsyncedSinkLength, killableWorkerProperties, readText, startConnectChild, waitFor } from './helpers.ts';

/**
 * file → topic → file under SIGKILL: one `kstream connect standalone` worker runs a FileStreamSource and
 * a FileStreamSink, both with exactly.once=true. Each round appends lines to the source file, starts the
 * worker, and SIGKILLs it once the sink file has grown — between offset flushes, so the restarted source
 * sends lines again. The sink's sidecar (file length, offsets, source positions; fsynced with the file)
 * makes the sink file byte-identical to the source file at the end. 3 rounds; 10 with
 * KSTREAM_RELIABILITY_LONG=1.
 */

afterAll(closeConnectAndBrokers);

const ROUNDS = process.env.KSTREAM_RELIABILITY_LONG ? 10 : 3;
const PER_ROUND = 3000;

describe('exactly-once file → topic → file', () => {
  it(`survives ${ROUNDS} SIGKILLs of the worker with the sink file byte-identical to the source`, async () => {
    const broker = await startTestBroker({ config: { 'group.min.session.timeout.ms': '1000', 'group.initial.rebalance.delay.ms': '0' } });
    const dir = await tempDir('kstream-connect-roundtrip-');
    const input = join(dir, 'in.txt');
    const output = join(dir, 'out.txt');
    await writeFile(input, '');
    // Offsets flushed now and then, not after every record: a kill leaves sent-but-unflushed lines to repeat.
    await writeFile(join(dir, 'worker.properties'), killableWorkerProperties(broker.bootstrap, dir, 300));
    await writeFile(join(dir, 'source.properties'), ['name=rt-source', 'connector.class=FileStreamSource', `file=${input}`, 'topic=rt', 'batch.size=200', 'exactly.once=true'].join('\n'));
    await writeFile(join(dir, 'sink.properties'), ['name=rt-sink', 'connector.class=FileStreamSink', `file=${output}`, 'topics=rt', 'exactly.once=true'].join('\n'));
    const args = ['worker.properties', 'source.properties', 'sink.properties'];

    let n = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const lines: string[] = [];
      for (let j = 0; j < PER_ROUND; j++, n++) lines.push(`line ${n} of round ${round} ${'é'.repeat(n % 13)}`);
      await appendFile(input, lines.map((l) => `${l}\n`).join(''));
      const before = await fileSize(output);
      const w = await startConnectChild(dir, args);
      await waitFor(`round ${round}: the sink file to grow`, async () => (await fileSize(output)) > before, 90_000);
      w.kill('SIGKILL');
      expect(await w.exited).toBe('SIGKILL');
    }

    const w = await startConnectChild(dir, args);
    const want = await readFile(input);
    // The sidecar, not the file's size: the last killed worker may have written every line without
    // fsyncing their position, and this worker's sink truncates such lines away when it starts.
    await waitFor('the sink to record the whole input as fsynced', async () => (await fsyncedSinkLength(output)) >= want.length, 120_000);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const got = await readFile(output);
    if (!got.equals(want)) {
      const g = got.toString().split('\n');
      const e = want.toString().split('\n');
      const at = g.findIndex((l, i) => l !== e[i]);
      throw new Error(`sink differs from source at line ${at}: got ${JSON.stringify(g[at])}, want ${JSON.stringify(e[at])} (${g.length} vs ${e.length} lines)`);
    }
    // How many lines the topic holds beyond the file's: repeats the sink dropped (logged, not asserted: timing).
    const c = new Consumer(new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] }), { start: { type: 'earliest' } });
    c.assign([{ topic: 'rt' }]);
    let inTopic = 0;
    await c.run((b) => void (inTopic += b.records.length), { exitAtEnd: true });
    if (process.env.KSTREAM_TEST_LOG) process.stderr.write(`topic holds ${inTopic} records for ${n} lines\n`);
    expect(inTopic).toBeGreaterThanOrEqual(n);
    expect(JSON.parse(await readText(`${output}.position`)).sources).toEqual({ [input]: want.length });
  }, 600_000);
});
