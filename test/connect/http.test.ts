import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { closeAll, freePort, startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnect, consumeAll, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/**
 * The HTTP connectors end to end: POSTs to the source's endpoint land on the topic (lines and JSON, keys
 * from a header, errors as HTTP statuses); the sink batches records into webhook POSTs against a local
 * server that fails some requests (5xx retried with backoff, 4xx to the dead-letter queue under
 * errors.tolerance=all, a failed task under errors.tolerance=none).
 */

const servers: Server[] = [];
afterAll(async () => {
  await closeConnect();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await closeAll();
});

interface Received {
  path: string;
  body: string;
  headers: IncomingHttpHeaders;
  status: number;
}

/** A webhook receiver: `decide` picks each request's status. */
async function receiver(decide: (path: string, body: string, n: number) => number): Promise<{ url: string; got: Received[] }> {
  const got: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const status = decide(req.url ?? '', body, got.length);
      got.push({ path: req.url ?? '', body, headers: req.headers, status });
      res.writeHead(status).end(status >= 300 ? 'nope' : 'ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, got };
}


describe('HTTP source and sink', () => {
  it('source: POSTed lines and JSON become records; bad requests get HTTP errors', async () => {
    const broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    const dir = await tempDir('kstream-connect-http-src-');
    const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir));
    const [p1, p2] = [await freePort(), await freePort()];
    expect((await rest(w.url, 'POST', '/connectors', { name: 'http-lines', config: { 'connector.class': 'HttpSourceConnector', topic: 'web-lines', 'http.host': '127.0.0.1', 'http.port': String(p1), 'http.path': '/ingest', 'key.header': 'X-Key' } })).status).toBe(201);
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: 'http-json',
          config: { 'connector.class': 'kstream.connect.http.HttpSourceConnector', topic: 'web-json', 'http.host': '127.0.0.1', 'http.port': String(p2), 'body.format': 'json', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' },
        })
      ).status,
    ).toBe(201);
    const post = (port: number, path: string, body: string, headers: Record<string, string> = {}, method = 'POST') =>
      waitFor(`the endpoint on ${port}`, async () => fetch(`http://127.0.0.1:${port}${path}`, { method, body: method === 'GET' ? undefined : body, headers }));

    const r1 = await post(p1, '/ingest', 'first line\nsecond line\r\n\nthird ünïcode line\n', { 'x-key': 'user-7' });
    expect(r1.status).toBe(202);
    expect(await r1.json()).toEqual({ records: 3 });
    expect((await post(p1, '/ingest', 'fourth')).status).toBe(202);
    expect((await post(p1, '/other', 'x')).status).toBe(404);
    expect((await post(p1, '/ingest', '', {}, 'GET')).status).toBe(405);
    expect((await post(p2, '/', '[{"a":1,"b":[true,null]},"text",42]')).status).toBe(202);
    expect((await post(p2, '/', '{"single":{"nested":"yes"}}')).status).toBe(202);
    const bad = await post(p2, '/', '{"broken":');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('Cannot parse the body as json');

    const lines = await waitFor('4 line records', async () => {
      const r = await consumeAll(cluster, 'web-lines');
      return r.length >= 4 ? r : undefined;
    });
    expect(lines.map((r) => [r.key?.toString() ?? null, r.value!.toString()])).toEqual([
      ['user-7', 'first line'],
      ['user-7', 'second line'],
      ['user-7', 'third ünïcode line'],
      [null, 'fourth'],
    ]);
    const json = await waitFor('4 json records', async () => {
      const r = await consumeAll(cluster, 'web-json');
      return r.length >= 4 ? r : undefined;
    });
    expect(json.map((r) => r.value!.toString())).toEqual(['{"a":1,"b":[true,null]}', '"text"', '42', '{"single":{"nested":"yes"}}']);
    await w.close();
    // The task's listener is closed with the worker.
    await expect(fetch(`http://127.0.0.1:${p1}/ingest`, { method: 'POST', body: 'x' })).rejects.toThrow();
  }, 90_000);

  it('sink: batches, headers, 5xx retried with backoff, 4xx to the DLQ (tolerance all) or failing the task (none)', async () => {
    const broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0' } });
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    const dir = await tempDir('kstream-connect-http-sink-');
    // The first two requests fail with 503, later ones succeed; bodies containing "bad" are rejected with 400.
    const hook = await receiver((_path, body, n) => (body.includes('bad') ? 400 : n < 2 ? 503 : 200));
    const p = new Producer(cluster);
    await p.prepareTopic('orders');
    await p.prepareTopic('mixed');
    const values = Array.from({ length: 7 }, (_, i) => `{"order":${i}}`);
    for (const v of values) p.send({ topic: 'orders', value: Buffer.from(v) });
    for (const v of ['ok-1', 'bad-2', 'ok-3']) p.send({ topic: 'mixed', key: Buffer.from('k'), value: Buffer.from(v), headers: [['trace', Buffer.from('t1')]] });
    await p.flush();

    const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir));
    const sink = {
      'connector.class': 'io.confluent.connect.http.HttpSinkConnector',
      topics: 'orders',
      'http.api.url': `${hook.url}/orders`,
      headers: 'Authorization:Bearer s3cret|X-Source:kstream',
      'batch.max.size': '3',
      'batch.prefix': '[',
      'batch.suffix': ']',
      'batch.separator': ',',
      'retry.backoff.ms': '20',
    };
    expect((await rest(w.url, 'POST', '/connectors', { name: 'hook', config: sink })).status).toBe(201);
    const ok = await waitFor('all 7 orders delivered', () => {
      const delivered = hook.got.filter((g) => g.path === '/orders' && g.status === 200);
      const items = delivered.flatMap((g) => JSON.parse(g.body) as unknown[]);
      return items.length >= 7 ? { delivered, items } : undefined;
    });
    expect(ok.items).toEqual(values.map((v) => JSON.parse(v)));
    expect(ok.delivered.every((g) => (JSON.parse(g.body) as unknown[]).length <= 3)).toBe(true);
    // The two 503s were retried: the same body went again.
    const failed = hook.got.filter((g) => g.status === 503);
    expect(failed).toHaveLength(2);
    expect(ok.delivered.some((g) => g.body === failed[0]!.body)).toBe(true);
    for (const g of hook.got) {
      expect(g.headers.authorization).toBe('Bearer s3cret');
      expect(g.headers['x-source']).toBe('kstream');
    }

    // errors.tolerance=all: the rejected record goes to the DLQ with Kafka's context headers.
    expect(
      (
        await rest(w.url, 'POST', '/connectors', {
          name: 'hook-dlq',
          config: { ...sink, topics: 'mixed', 'http.api.url': `${hook.url}/mixed`, 'batch.max.size': '1', 'batch.prefix': '', 'batch.suffix': '', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'hook-dlq', 'errors.deadletterqueue.topic.replication.factor': '1', 'errors.deadletterqueue.context.headers.enable': 'true' },
        })
      ).status,
    ).toBe(201);
    const dlq = await waitFor('the DLQ record', async () => {
      const r = await consumeAll(cluster, 'hook-dlq').catch(() => []);
      return r.length > 0 ? r : undefined;
    });
    expect(dlq).toHaveLength(1);
    expect(dlq[0]!.value!.toString()).toBe('bad-2');
    expect(dlq[0]!.key!.toString()).toBe('k');
    const h = Object.fromEntries(dlq[0]!.headers.map((x) => [x.key, x.value?.toString()]));
    expect(h.trace).toBe('t1');
    expect(h['__connect.errors.stage']).toBe('TASK_PUT');
    expect(h['__connect.errors.topic']).toBe('mixed');
    expect(h['__connect.errors.offset']).toBe('1');
    expect(h['__connect.errors.exception.message']).toContain('HTTP 400');
    await waitFor('ok-3 delivered', () => hook.got.some((g) => g.path === '/mixed' && g.body === 'ok-3' && g.status === 200));
    expect(hook.got.filter((g) => g.path === '/mixed' && g.status === 200).map((g) => g.body)).toEqual(['ok-1', 'ok-3']);
    expect((await rest(w.url, 'GET', '/connectors/hook-dlq/status')).body).toMatchObject({ tasks: [{ state: 'RUNNING' }] });

    // errors.tolerance=none (the default): the same rejection fails the task.
    expect((await rest(w.url, 'POST', '/connectors', { name: 'hook-strict', config: { ...sink, topics: 'mixed', 'http.api.url': `${hook.url}/strict`, 'batch.max.size': '1', 'batch.prefix': '', 'batch.suffix': '' } })).status).toBe(201);
    const t = await waitFor('the strict task to fail', async () => {
      const s = (await rest(w.url, 'GET', '/connectors/hook-strict/status')).body as { tasks: Array<{ state: string; trace?: string }> };
      return s.tasks[0]?.state === 'FAILED' ? s.tasks[0] : undefined;
    });
    expect(t.trace).toContain('HTTP 400');
    await w.close();
  }, 90_000);
});
