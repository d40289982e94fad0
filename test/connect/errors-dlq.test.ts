import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import type { ConsumerRecord } from '../../src/protocol/records/record-batch.ts';
import { startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnectAndBrokers, consumeAll, readText, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/** A sink with an SMT chain, errors.tolerance=all, error logging and a dead-letter queue with context headers. */

afterAll(closeConnectAndBrokers);

const T = 'org.apache.kafka.connect.transforms.';
const schema = {
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'msg' },
    { type: 'string', optional: true, field: 'ssn' },
    { type: 'string', optional: true, field: 'n' },
  ],
  optional: false,
};
const good = (msg: string, ssn: string | null, n: string | null) => JSON.stringify({ schema, payload: { msg, ssn, n } });


describe('sink error handling', () => {
  it('transforms good records, sends bad ones to the DLQ with Kafka’s error headers, and fails a strict connector', async () => {
    const broker = await startTestBroker();
    const dir = await tempDir('kstream-connect-dlq-');
    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    try {
      const p = new Producer(cluster);
      await p.prepareTopic('events');
      const values: Array<[string, Array<[string, Buffer]>]> = [
        [good('hello', '123-45', '5'), []],
        ['not json at all', []],
        [good('skipped', null, null), [['skip', Buffer.from('1')]]],
        ['{"a":1}', [['trace', Buffer.from('t-1')]]],
        [good('bad cast', null, 'abc'), []],
        [good('world', null, null), []],
      ];
      for (const [v, headers] of values) p.send({ topic: 'events', key: Buffer.from('k'), value: Buffer.from(v), headers });
      await p.flush();

      const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir, { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter' }));
      const out = join(dir, 'out.txt');
      const created = await rest(w.url, 'POST', '/connectors', {
        name: 'dlq-sink',
        config: {
          'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector',
          file: out,
          topics: 'events',
          transforms: 'dropSkipped,mask,cast',
          'transforms.dropSkipped.type': `${T}Filter`,
          'transforms.dropSkipped.predicate': 'hasSkip',
          'transforms.mask.type': `${T}MaskField$Value`,
          'transforms.mask.fields': 'ssn',
          'transforms.cast.type': `${T}Cast$Value`,
          'transforms.cast.spec': 'n:int32',
          predicates: 'hasSkip',
          'predicates.hasSkip.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
          'predicates.hasSkip.name': 'skip',
          'errors.tolerance': 'all',
          'errors.log.enable': 'true',
          'errors.deadletterqueue.topic.name': 'events-dlq',
          'errors.deadletterqueue.topic.replication.factor': '1',
          'errors.deadletterqueue.context.headers.enable': 'true',
        },
      });
      expect(created.status).toBe(201);

      // Java's Struct.toString, as Kafka's file sink writes it (the null ssn/n are left out).
      const expected = 'Struct{msg=hello,ssn=,n=5}\nStruct{msg=world}\n';
      await waitFor('the good records in the sink file', async () => (await readText(out)) === expected, 60_000);

      const dlq = await waitFor('three records in the DLQ', async () => {
        const r = await consumeAll(cluster, 'events-dlq').catch(() => []);
        return r.length >= 3 ? r : undefined;
      });
      expect(dlq.map((r) => r.value!.toString())).toEqual([values[1]![0], values[3]![0], values[4]![0]]);
      const h = (r: ConsumerRecord) => Object.fromEntries(r.headers.map((x) => [x.key, x.value?.toString() ?? null]));
      const first = h(dlq[0]!);
      expect(first).toMatchObject({
        '__connect.errors.topic': 'events',
        '__connect.errors.partition': '0',
        '__connect.errors.offset': '1',
        '__connect.errors.connector.name': 'dlq-sink',
        '__connect.errors.task.id': '0',
        '__connect.errors.stage': 'VALUE_CONVERTER',
        '__connect.errors.class.name': 'org.apache.kafka.connect.json.JsonConverter',
        '__connect.errors.exception.class.name': 'org.apache.kafka.connect.errors.DataException',
      });
      expect(first['__connect.errors.exception.message']).toMatch(/serialization error/);
      expect(first['__connect.errors.exception.stacktrace']).toBeTruthy();
      // The original headers come first, then the error context.
      expect(dlq[1]!.headers[0]).toEqual({ key: 'trace', value: Buffer.from('t-1') });
      expect(h(dlq[1]!)['__connect.errors.exception.message']).toMatch(/requires "schema" and "payload" fields/);
      expect(h(dlq[2]!)).toMatchObject({ '__connect.errors.stage': 'TRANSFORMATION', '__connect.errors.offset': '4' });
      expect(dlq[0]!.key!.toString()).toBe('k');
      expect(w.logs.some((l) => l.includes("Executing stage 'VALUE_CONVERTER' with class 'org.apache.kafka.connect.json.JsonConverter'") && l.includes("partition=0, offset=1"))).toBe(true);
      expect((await rest(w.url, 'GET', '/connectors/dlq-sink/status')).body).toMatchObject({ tasks: [{ state: 'RUNNING' }] });

      // errors.tolerance=none (the default): the first bad record fails the task, with the reason in its trace.
      await rest(w.url, 'POST', '/connectors', { name: 'strict', config: { 'connector.class': 'FileStreamSink', file: join(dir, 'strict.txt'), topics: 'events' } });
      const failed = await waitFor('the strict task to fail', async () => {
        const s = (await rest(w.url, 'GET', '/connectors/strict/status')).body as { tasks: Array<{ state: string; trace?: string }> };
        return s.tasks[0]?.state === 'FAILED' ? s.tasks[0] : undefined;
      });
      expect(failed.trace).toMatch(/Tolerance exceeded in error handler/);
      // As Kafka's WorkerSinkTask, a batch is converted whole before put(): the failure leaves it unwritten.
      expect(await readText(join(dir, 'strict.txt'))).toBe('');

      // A failed task restarts through the API and fails again on the same record (nothing was skipped).
      const restarted = await rest(w.url, 'POST', '/connectors/strict/restart?includeTasks=true&onlyFailed=true');
      expect(restarted.status).toBe(202);
      expect(restarted.body).toMatchObject({ connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'RESTARTING' }] });
      await waitFor('the strict task to fail again', async () => ((await rest(w.url, 'GET', '/connectors/strict/status')).body as { tasks: Array<{ state: string }> }).tasks[0]?.state === 'FAILED');
    } finally {
      await cluster.close();
    }
  }, 180_000);
});
