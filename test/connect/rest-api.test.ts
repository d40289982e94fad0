import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, tempDir, type TestBroker } from '../helpers/index.ts';
import { closeConnectAndBrokers, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/**
 * The REST API against Kafka Connect's resources (ConnectorsResource, ConnectorPluginsResource,
 * RootResource): paths, status codes, body shapes and error messages.
 */

let broker: TestBroker;
let dir: string;
let url: string;

beforeAll(async () => {
  broker = await startTestBroker();
  dir = await tempDir('kstream-connect-rest-');
  await writeFile(join(dir, 'in.txt'), 'one\ntwo\n');
  const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir));
  url = w.url;
}, 60_000);

afterAll(closeConnectAndBrokers);

const source = () => ({ 'connector.class': 'FileStreamSource', file: join(dir, 'in.txt'), topic: 'rest-in', 'tasks.max': '1' });

describe('Connect REST API', () => {
  it('GET / reports version, commit and the Kafka cluster id', async () => {
    const r = await rest(url, 'GET', '/');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ version: '3.9.0', commit: expect.any(String), kafka_cluster_id: broker.broker.context.clusterId });
    expect((r.body as { kafka_cluster_id: string }).kafka_cluster_id).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('creates, lists, reads, reconfigures and deletes connectors with Kafka’s codes and bodies', async () => {
    expect((await rest(url, 'GET', '/connectors')).body).toEqual([]);
    const created = await rest(url, 'POST', '/connectors', { name: 'src', config: source() });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/connectors/src');
    expect(created.body).toEqual({ name: 'src', config: { ...source(), name: 'src' }, tasks: [{ connector: 'src', task: 0 }], type: 'source' });

    const dup = await rest(url, 'POST', '/connectors', { name: 'src', config: source() });
    expect(dup).toMatchObject({ status: 409, body: { error_code: 409, message: 'Connector src already exists' } });

    expect((await rest(url, 'GET', '/connectors')).body).toEqual(['src']);
    expect((await rest(url, 'GET', '/connectors/src')).body).toMatchObject({ name: 'src', type: 'source' });
    expect((await rest(url, 'GET', '/connectors/src/config')).body).toEqual({ ...source(), name: 'src' });
    const tasks = await rest(url, 'GET', '/connectors/src/tasks');
    expect(tasks.body).toEqual([{ id: { connector: 'src', task: 0 }, config: expect.objectContaining({ 'task.class': 'org.apache.kafka.connect.file.FileStreamSourceTask', topic: 'rest-in' }) }]);

    const status = await waitFor('task RUNNING', async () => {
      const s = await rest(url, 'GET', '/connectors/src/status');
      return (s.body as { tasks: Array<{ state: string }> }).tasks[0]?.state === 'RUNNING' ? s : undefined;
    });
    expect(status.body).toEqual({
      name: 'src',
      connector: { state: 'RUNNING', worker_id: expect.stringMatching(/^127\.0\.0\.1:\d+$/) },
      tasks: [{ id: 0, state: 'RUNNING', worker_id: expect.any(String) }],
      type: 'source',
    });
    expect((await rest(url, 'GET', '/connectors/src/tasks/0/status')).body).toEqual({ id: 0, state: 'RUNNING', worker_id: expect.any(String) });

    const expanded = await rest(url, 'GET', '/connectors?expand=status&expand=info');
    expect(expanded.body).toEqual({ src: { status: expect.objectContaining({ name: 'src' }), info: expect.objectContaining({ name: 'src', type: 'source' }) } });

    // PUT config on an existing connector → 200; on a new name → 201
    const put = await rest(url, 'PUT', '/connectors/src/config', { ...source(), 'batch.size': '10' });
    expect(put.status).toBe(200);
    expect((put.body as { config: Record<string, string> }).config['batch.size']).toBe('10');
    const putNew = await rest(url, 'PUT', '/connectors/src2/config', source());
    expect(putNew.status).toBe(201);
    const mismatch = await rest(url, 'PUT', '/connectors/src2/config', { ...source(), name: 'other' });
    expect(mismatch).toMatchObject({ status: 400, body: { error_code: 400, message: "Connector name configuration (other) doesn't match connector name in the URL (src2)" } });
    const patched = await rest(url, 'PATCH', '/connectors/src2/config', { 'batch.size': '5', 'tasks.max': null });
    expect(patched.status).toBe(200);
    expect((patched.body as { config: Record<string, string> }).config).toEqual({ 'connector.class': 'FileStreamSource', file: join(dir, 'in.txt'), topic: 'rest-in', name: 'src2', 'batch.size': '5' });

    const del = await rest(url, 'DELETE', '/connectors/src2');
    expect(del.status).toBe(204);
    expect(await rest(url, 'GET', '/connectors/src2')).toMatchObject({ status: 404, body: { error_code: 404, message: 'Connector src2 not found' } });
    expect(await rest(url, 'GET', '/connectors/src2/status')).toMatchObject({ status: 404, body: { message: 'No status found for connector src2' } });
    expect(await rest(url, 'GET', '/connectors/src/tasks/7/status')).toMatchObject({ status: 404, body: { message: 'No status found for task src-7' } });
  }, 60_000);

  it('rejects invalid configs with 400 listing the errors', async () => {
    const bad = await rest(url, 'POST', '/connectors', { name: 'bad', config: { 'connector.class': 'FileStreamSource', 'tasks.max': 'x' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/^Connector configuration is invalid and contains the following 2 error\(s\):\nInvalid value x for configuration tasks.max/);
    const unknown = await rest(url, 'POST', '/connectors', { name: 'bad', config: { 'connector.class': 'com.example.Missing' } });
    expect(unknown.status).toBe(400);
    expect((unknown.body as { message: string }).message).toMatch(/Failed to find any class that implements Connector and which name matches com.example.Missing/);
    expect(await rest(url, 'POST', '/connectors', '{not json')).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect((await rest(url, 'GET', '/connectors')).body).toEqual(['src']);
  });

  it('pauses, resumes, stops, restarts; offsets need STOPPED (KIP-875)', async () => {
    expect((await rest(url, 'PUT', '/connectors/src/pause')).status).toBe(202);
    expect((await rest(url, 'GET', '/connectors/src/status')).body).toMatchObject({ connector: { state: 'PAUSED' }, tasks: [{ state: 'PAUSED' }] });
    expect((await rest(url, 'PUT', '/connectors/src/resume')).status).toBe(202);
    expect((await rest(url, 'GET', '/connectors/src/status')).body).toMatchObject({ connector: { state: 'RUNNING' } });

    expect((await rest(url, 'POST', '/connectors/src/restart')).status).toBe(204);
    const r = await rest(url, 'POST', '/connectors/src/restart?includeTasks=true&onlyFailed=false');
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ name: 'src', connector: { state: 'RESTARTING' }, tasks: [{ id: 0, state: 'RESTARTING' }], type: 'source' });
    expect((await rest(url, 'POST', '/connectors/src/tasks/0/restart')).status).toBe(204);
    expect(await rest(url, 'POST', '/connectors/src/tasks/3/restart')).toMatchObject({ status: 404, body: { message: 'Task src-3 not found' } });
    expect(await rest(url, 'PUT', '/connectors/ghost/pause')).toMatchObject({ status: 404, body: { message: 'Unknown connector ghost' } });
    expect(await rest(url, 'POST', '/connectors/ghost/restart?includeTasks=true')).toMatchObject({ status: 404, body: { message: 'Unknown connector: ghost' } });
    expect(await rest(url, 'POST', '/connectors/ghost/restart')).toMatchObject({ status: 404, body: { message: 'Connector ghost not found' } });

    // The file has been read: its offset is committed within offset.flush.interval.ms.
    await waitFor('the source offset', async () => {
      const o = await rest(url, 'GET', '/connectors/src/offsets');
      return (o.body as { offsets: unknown[] }).offsets.length > 0 ? o : undefined;
    });
    const alterRunning = await rest(url, 'PATCH', '/connectors/src/offsets', { offsets: [{ partition: { filename: 'x' }, offset: { position: 0 } }] });
    expect(alterRunning.status).toBe(400);
    expect((alterRunning.body as { message: string }).message).toBe(
      "Connectors must be in the STOPPED state before their offsets can be modified. This can be done for the specified connector by issuing a 'PUT' request to the '/connectors/src/stop' endpoint",
    );

    expect((await rest(url, 'PUT', '/connectors/src/stop')).status).toBe(204);
    expect((await rest(url, 'GET', '/connectors/src/status')).body).toMatchObject({ connector: { state: 'STOPPED' }, tasks: [] });
    expect((await rest(url, 'GET', '/connectors/src/offsets')).body).toEqual({ offsets: [{ partition: { filename: join(dir, 'in.txt') }, offset: { position: 8 } }] });
    expect(await rest(url, 'PATCH', '/connectors/src/offsets', { offsets: [] })).toMatchObject({ status: 400, body: { message: 'Partitions / offsets need to be provided for an alter offsets request' } });
    const altered = await rest(url, 'PATCH', '/connectors/src/offsets', { offsets: [{ partition: { filename: join(dir, 'in.txt') }, offset: { position: 4 } }] });
    expect(altered).toMatchObject({ status: 200, body: { message: 'The offsets for this connector have been altered successfully' } });
    expect((await rest(url, 'GET', '/connectors/src/offsets')).body).toEqual({ offsets: [{ partition: { filename: join(dir, 'in.txt') }, offset: { position: 4 } }] });
    expect((await rest(url, 'DELETE', '/connectors/src/offsets')).body).toEqual({ message: 'The offsets for this connector have been reset successfully' });
    expect((await rest(url, 'GET', '/connectors/src/offsets')).body).toEqual({ offsets: [] });

    expect((await rest(url, 'PUT', '/connectors/src/resume')).status).toBe(202);
    await waitFor('RUNNING after resume from STOPPED', async () => ((await rest(url, 'GET', '/connectors/src/status')).body as { tasks: Array<{ state: string }> }).tasks[0]?.state === 'RUNNING');
    expect(await waitFor('topics tracked', async () => {
      const t = await rest(url, 'GET', '/connectors/src/topics');
      return (t.body as { src: { topics: string[] } }).src.topics.length > 0 ? t.body : undefined;
    })).toEqual({ src: { topics: ['rest-in'] } });
  }, 60_000);

  it('lists plugins and validates configs in Kafka’s ConfigInfos shape', async () => {
    const plugins = await rest(url, 'GET', '/connector-plugins');
    expect(plugins.body).toEqual([
      { class: 'io.confluent.connect.http.HttpSinkConnector', type: 'sink', version: '3.9.0' },
      { class: 'io.confluent.connect.jdbc.JdbcSinkConnector', type: 'sink', version: '3.9.0' },
      { class: 'io.confluent.connect.jdbc.JdbcSourceConnector', type: 'source', version: '3.9.0' },
      { class: 'kstream.connect.http.HttpSourceConnector', type: 'source', version: '3.9.0' },
      { class: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', version: '3.9.0' },
      { class: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', version: '3.9.0' },
    ]);
    const all = (await rest(url, 'GET', '/connector-plugins?connectorsOnly=false')).body as Array<{ class: string; type: string }>;
    expect(all.find((p) => p.class === 'org.apache.kafka.connect.transforms.InsertField$Value')?.type).toBe('transformation');
    expect(all.find((p) => p.class.endsWith('RecordIsTombstone'))?.type).toBe('predicate');

    const v = await rest(url, 'PUT', '/connector-plugins/FileStreamSinkConnector/config/validate', { 'connector.class': 'FileStreamSink', name: 'x', topics: 'a', 'topics.regex': 'b.*' });
    expect(v.status).toBe(200);
    const body = v.body as { name: string; error_count: number; groups: string[]; configs: Array<{ definition: { name: string }; value: { name: string; errors: string[] } }> };
    expect(body.name).toBe('org.apache.kafka.connect.file.FileStreamSinkConnector');
    expect(body.error_count).toBe(1);
    expect(body.groups).toEqual(['Common', 'Transforms', 'Predicates', 'Error Handling']);
    expect(body.configs.find((c) => c.value.name === 'topics')!.value.errors).toEqual(['topics and topics.regex are mutually exclusive options, but both are set.']);
    expect(body.configs[0]).toEqual({
      definition: { name: 'name', type: 'STRING', required: true, default_value: null, importance: 'HIGH', documentation: expect.any(String), group: 'Common', width: 'NONE', display_name: 'Connector name', dependents: [], order: 1 },
      value: { name: 'name', value: 'x', recommended_values: [], errors: [], visible: true },
    });
    const mism = await rest(url, 'PUT', '/connector-plugins/FileStreamSource/config/validate', { 'connector.class': 'FileStreamSink' });
    expect(mism).toMatchObject({ status: 400, body: { message: 'Included connector type FileStreamSink does not match request type FileStreamSource' } });
  });

  it('answers unknown paths and methods as Jersey does', async () => {
    expect(await rest(url, 'GET', '/nope')).toMatchObject({ status: 404, body: { error_code: 404, message: 'HTTP 404 Not Found' } });
    expect(await rest(url, 'POST', '/connectors/src/status')).toMatchObject({ status: 405, body: { error_code: 405, message: 'HTTP 405 Method Not Allowed' } });
  });
});
