import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster } from '../../src/client/cluster.ts';
import { Consumer } from '../../src/client/consumer.ts';
import { closeAll, repoRoot, startTestBroker, tempDir } from '../helpers/index.ts';
import { closeConnect, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/** A user's own source connector in a .ts file, named by its path in connector.class, with an SMT and JsonConverter. */

afterAll(async () => {
  await closeConnect();
  await closeAll();
});

const connectorSource = (schemaModule: string) => `
import { Schemas, Struct } from ${JSON.stringify(schemaModule)};
import type { Connector, ConnectorClass, Props, SourceRecord, SourceTask, SourceTaskContext } from ${JSON.stringify(join(repoRoot, 'src/connect/api.ts'))};

const schema = Schemas.struct([['n', Schemas.INT32], ['label', Schemas.STRING]], { name: 'demo.Counter' });

class CounterTask implements SourceTask {
  private next = 0;
  private count = 0;
  private topic = '';
  start(props: Props, ctx: SourceTaskContext): void {
    this.count = Number(props.count);
    this.topic = props.topic;
    this.next = Number(ctx.offset({ counter: props.topic })?.n ?? 0);
  }
  async poll(): Promise<SourceRecord[] | null> {
    if (this.next >= this.count) {
      await new Promise((r) => setTimeout(r, 50));
      return null;
    }
    const n = this.next++;
    return [{ topic: this.topic, kafkaPartition: null, keySchema: Schemas.STRING, key: 'k' + n, valueSchema: schema, value: new Struct(schema).put('n', n).put('label', 'item ' + n),
      timestamp: 0, headers: [], sourcePartition: { counter: this.topic }, sourceOffset: { n: n + 1 } }];
  }
  stop(): void {}
}

class CounterConnector implements Connector {
  readonly type = 'source' as const;
  private props: Props = {};
  version() { return '1.0'; }
  config() { return [{ name: 'count', type: 'INT' as const, importance: 'HIGH' as const, documentation: 'how many records' }]; }
  start(props: Props) { this.props = props; }
  taskConfigs() { return [{ ...this.props }]; }
  stop() {}
  createTask() { return new CounterTask(); }
}

const Counter: ConnectorClass = { className: 'demo.CounterConnector', type: 'source', create: () => new CounterConnector() };
export default Counter;
`;

describe('a user connector from a .ts file', () => {
  it('runs by path, with its own config validation, converters and transforms', async () => {
    const broker = await startTestBroker();
    const dir = await tempDir('kstream-connect-custom-');
    const file = join(dir, 'counter-connector.ts');
    await writeFile(file, connectorSource(join(repoRoot, 'src/connect/data/schema.ts')));
    const w = await startWorker(standaloneWorkerProps(broker.bootstrap, dir, { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'offset.flush.interval.ms': '100' }));
    const bad = await rest(w.url, 'POST', '/connectors', { name: 'counter', config: { 'connector.class': file, topic: 'counts' } });
    expect(bad.status).toBe(400);
    expect((bad.body as { message: string }).message).toMatch(/Missing required configuration "count"/);

    const created = await rest(w.url, 'POST', '/connectors', {
      name: 'counter',
      config: {
        'connector.class': file,
        topic: 'counts',
        count: '3',
        transforms: 'route',
        'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
        'transforms.route.regex': 'counts',
        'transforms.route.replacement': 'counts-routed',
      },
    });
    expect(created.status).toBe(201);
    await waitFor('the source offset', async () => ((await rest(w.url, 'GET', '/connectors/counter/offsets')).body as { offsets: Array<{ offset: { n: number } }> }).offsets[0]?.offset.n === 3);

    const cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
    try {
      const c = new Consumer(cluster, { start: { type: 'earliest' } });
      c.assign([{ topic: 'counts-routed' }]);
      const got: string[] = [];
      await c.run((b) => b.records.forEach((r) => got.push(`${r.key} ${r.value}`)), { exitAtEnd: true });
      expect(got).toEqual([0, 1, 2].map((n) =>
        `k${n} {"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"n"},{"type":"string","optional":false,"field":"label"}],"optional":false,"name":"demo.Counter"},"payload":{"n":${n},"label":"item ${n}"}}`,
      ));
    } finally {
      await cluster.close();
    }
  }, 120_000);
});
