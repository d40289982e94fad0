import { appendFile, copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { closeAll, startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnect, fixtures, readText, rest, startConnectChild, waitFor } from './helpers.ts';

/**
 * Kafka's Connect quickstart, with Kafka's own config files (test/connect/fixtures, copied verbatim
 * from Kafka's config/): only the worker's bootstrap.servers, offset file and listener are pointed at
 * the test's broker and temp dir; the connector files are used exactly as Kafka ships them.
 */

afterAll(async () => {
  await closeConnect();
  await closeAll();
});

async function topicValues(bootstrap: string, topic: string): Promise<string[]> {
  const [host, port] = bootstrap.split(':');
  const cluster = new Cluster({ bootstrap: [{ host: host!, port: Number(port) }] });
  try {
    const c = new Consumer(cluster, { start: { type: 'earliest' } });
    c.assign([{ topic }]);
    const out: string[] = [];
    await c.run((b) => b.records.forEach((r) => out.push(r.value!.toString())), { exitAtEnd: true });
    return out;
  } finally {
    await cluster.close();
  }
}

describe('Kafka Connect quickstart (connect-standalone + FileStreamSource/Sink)', () => {
  it('file → connect-test (JSON with schema, as Kafka writes it) → sink file, identical; resumes after a restart', async () => {
    const broker = await startTestBroker();
    const dir = await tempDir('kstream-connect-qs-');
    const worker = (await readFile(join(fixtures, 'connect-standalone.properties'), 'utf8'))
      .replace('bootstrap.servers=localhost:9092', `bootstrap.servers=${broker.bootstrap}`)
      .replace('offset.storage.file.filename=/tmp/connect.offsets', `offset.storage.file.filename=${join(dir, 'connect.offsets')}`)
      .concat('\nlisteners=http://127.0.0.1:0\n');
    expect(worker).toContain(broker.bootstrap);
    await writeFile(join(dir, 'worker.properties'), worker);
    await copyFile(join(fixtures, 'connect-file-source.properties'), join(dir, 'connect-file-source.properties'));
    await copyFile(join(fixtures, 'connect-file-sink.properties'), join(dir, 'connect-file-sink.properties'));
    const lines = ['foo', 'bar', 'a line with "quotes" and ünïcode', ''];
    await writeFile(join(dir, 'test.txt'), lines.map((l) => `${l}\n`).join(''));

    const args = ['worker.properties', 'connect-file-source.properties', 'connect-file-sink.properties'];
    let w = await startConnectChild(dir, args);
    const sink = join(dir, 'test.sink.txt');
    const expected = await readFile(join(dir, 'test.txt'), 'utf8');
    await waitFor('the sink file to equal the source file', async () => (await readText(sink)) === expected, 90_000);

    const values = await topicValues(broker.bootstrap, 'connect-test');
    expect(values).toEqual(lines.map((l) => JSON.stringify({ schema: { type: 'string', optional: false }, payload: l })));
    expect(values[0]).toBe('{"schema":{"type":"string","optional":false},"payload":"foo"}');

    const status = await rest(w.url, 'GET', '/connectors?expand=status');
    expect(status.status).toBe(200);
    expect(Object.keys(status.body as object).sort()).toEqual(['local-file-sink', 'local-file-source']);

    await appendFile(join(dir, 'test.txt'), 'baz\n');
    await waitFor('the appended line in the sink', async () => (await readText(sink)) === `${expected}baz\n`, 60_000);

    // A clean stop commits the source position (JSON offset file) and the sink's group offsets.
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
    const offsets = JSON.parse(await readFile(join(dir, 'connect.offsets'), 'utf8'));
    const size = (await readFile(join(dir, 'test.txt'))).length;
    expect(offsets.offsets).toEqual([{ key: ['local-file-source', { filename: 'test.txt' }], value: { position: size } }]);

    // Restart: nothing is re-sent or re-written; a new line flows through once.
    await appendFile(join(dir, 'test.txt'), 'after restart\n');
    w = await startConnectChild(dir, args);
    const final = await readFile(join(dir, 'test.txt'), 'utf8');
    await waitFor('the post-restart line in the sink', async () => (await readText(sink)) === final, 90_000);
    expect((await topicValues(broker.bootstrap, 'connect-test')).length).toBe(lines.length + 2);
    w.kill('SIGTERM');
    expect(await w.exited).toBe(0);
  }, 300_000);

  it('fails to start with a clear error for a bad connector file', async () => {
    const broker = await startTestBroker();
    const dir = await tempDir('kstream-connect-qs-');
    await writeFile(
      join(dir, 'worker.properties'),
      `bootstrap.servers=${broker.bootstrap}\nkey.converter=org.apache.kafka.connect.storage.StringConverter\nvalue.converter=org.apache.kafka.connect.storage.StringConverter\noffset.storage.file.filename=${join(dir, 'o')}\nlisteners=http://127.0.0.1:0\n`,
    );
    await writeFile(join(dir, 'bad.properties'), 'name=bad\nconnector.class=com.example.NoSuchConnector\ntopic=x\n');
    const err = await startConnectChild(dir, ['worker.properties', 'bad.properties'], 60_000).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(err).toMatch(/Failed to create connector for bad: .*NoSuchConnector/);
  }, 120_000);
});
