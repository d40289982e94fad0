import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Admin } from '../../src/client/admin.ts';
import { Cluster } from '../../src/client/cluster.ts';
import { Producer } from '../../src/client/producer.ts';
import { closeAll, startTestBroker, tempDir, type TestBroker } from '../helpers/index.ts';
import { startPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { closeConnect, consumeAll, rest, startWorker, waitFor, standaloneWorkerProps } from './helpers.ts';

/**
 * The JDBC-style PostgreSQL connectors against a real PostgreSQL (started by the test as the postgres
 * user, in a temp dir) and a real broker: a table copied through a topic into another database with
 * inserts and updates (timestamp+incrementing, upsert), identical rows; the exactly-once sink resuming
 * from its offsets table with the consumer group gone; upsert/delete by record key with auto.create and
 * auto.evolve; config errors.
 */

let pgs: TestPostgres;
let broker: TestBroker;
let cluster: Cluster;

beforeAll(async () => {
  [pgs, broker] = await Promise.all([startPostgres(), startTestBroker()]);
  cluster = new Cluster({ bootstrap: [{ host: broker.host, port: broker.port }] });
  const admin = await client('postgres');
  await admin.query('CREATE DATABASE src');
  await admin.query('CREATE DATABASE dst');
  await admin.end();
}, 120_000);

afterAll(async () => {
  await closeConnect();
  await closeAll();
});

const clients: pg.Client[] = [];
async function client(db: string): Promise<pg.Client> {
  const c = new pg.Client({ host: pgs.host, port: pgs.port, user: pgs.user, password: pgs.password, database: db });
  await c.connect();
  clients.push(c);
  return c;
}
afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.end()));
});

const url = (db: string) => `jdbc:postgresql://${pgs.host}:${pgs.port}/${db}`;

async function workerProps(name: string): Promise<Record<string, string>> {
  const dir = await tempDir(`kstream-connect-${name}-`);
  const json = 'org.apache.kafka.connect.json.JsonConverter';
  return standaloneWorkerProps(broker.bootstrap, dir, { 'key.converter': json, 'value.converter': json });
}

const readAll = (topic: string) => consumeAll(cluster, topic);

/** Every row as text, in id order: what both sides must agree on byte for byte. */
async function rows(c: pg.Client, table: string): Promise<string[]> {
  const r = await c.query(`SELECT t::text AS row FROM ${table} t ORDER BY id`);
  return (r.rows as Array<{ row: string }>).map((x) => x.row);
}

describe('PostgreSQL source and sink (JDBC connector configs)', () => {
  it('copies a table through a topic into another database, inserts and updates, identical rows', async () => {
    const src = await client('src');
    const dst = await client('dst');
    await src.query(`CREATE TABLE orders (
      id SERIAL PRIMARY KEY,
      customer TEXT NOT NULL,
      amount NUMERIC(10,2) NOT NULL,
      qty INT,
      big BIGINT,
      small SMALLINT,
      ratio DOUBLE PRECISION,
      flag BOOLEAN NOT NULL DEFAULT false,
      data BYTEA,
      note TEXT,
      updated_at TIMESTAMP(3) NOT NULL DEFAULT clock_timestamp())`);
    const insert = async (from: number, to: number) => {
      for (let i = from; i <= to; i++) {
        await src.query({
          text: 'INSERT INTO orders (customer, amount, qty, big, small, ratio, flag, data, note) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)',
          values: [`customer ${i} “ünïcode” 'q'`, `${i}.${String(i % 100).padStart(2, '0')}`, i % 3 === 0 ? null : i, `${9007199254740993n + BigInt(i)}`, i, i / 7, i % 2 === 0, Buffer.from([0, i, 255, 10]), i % 4 === 0 ? null : `note ${i}`],
        });
      }
    };
    await insert(1, 25);

    const w = await startWorker(await workerProps('pgcopy'));
    const s = await rest(w.url, 'POST', '/connectors', {
      name: 'pg-source',
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSourceConnector',
        'connection.url': url('src'),
        'connection.user': pgs.user,
        'connection.password': pgs.password,
        mode: 'timestamp+incrementing',
        'incrementing.column.name': 'id',
        'timestamp.column.name': 'updated_at',
        'table.whitelist': 'orders',
        'topic.prefix': 'pg_',
        'poll.interval.ms': '200',
        'batch.max.rows': '7',
      },
    });
    expect(s.status).toBe(201);
    const k = await rest(w.url, 'POST', '/connectors', {
      name: 'pg-sink',
      config: {
        'connector.class': 'JdbcSinkConnector',
        'connection.url': `${url('dst')}?user=${pgs.user}&password=${pgs.password}`,
        topics: 'pg_orders',
        'table.name.format': 'copy_${topic}',
        'insert.mode': 'upsert',
        'pk.mode': 'record_value',
        'pk.fields': 'id',
        'auto.create': 'true',
        'batch.size': '5',
      },
    });
    expect(k.status).toBe(201);

    const same = async () => {
      const a = await rows(src, 'orders');
      const b = await rows(dst, 'copy_pg_orders').catch(() => []);
      return a.length > 0 && JSON.stringify(a) === JSON.stringify(b) ? a : undefined;
    };
    expect((await waitFor('the first 25 rows copied', same)).length).toBe(25);

    // Updates move updated_at forward: the source re-reads exactly those rows; the sink upserts them.
    await src.query(`UPDATE orders SET amount = amount * 3, note = 'updated', qty = NULL, updated_at = clock_timestamp() WHERE id % 5 = 0`);
    await insert(26, 40);
    expect((await waitFor('updates and new rows copied', same)).length).toBe(40);
    await src.query(`UPDATE orders SET customer = customer || ' again', updated_at = clock_timestamp() WHERE id = 26`);
    await src.query('SELECT pg_sleep(0.01)');
    await src.query(`UPDATE orders SET customer = customer || ' again', updated_at = clock_timestamp() WHERE id = 3`);
    const final = await waitFor('the last updates copied', async () => {
      const r = await same();
      return r?.filter((x) => x.includes(' again')).length === 2 ? r : undefined;
    });
    expect(final.length).toBe(40);
    expect(final.filter((r) => r.includes(',updated,'))).toHaveLength(5);

    // The topic holds Connect Structs with the Postgres types mapped (value schema named for the table).
    const recs = await readAll('pg_orders');
    expect(recs.length).toBe(40 + 5 + 2);
    const first = JSON.parse(recs[0]!.value!.toString()) as { schema: { name: string; fields: Array<Record<string, unknown>> }; payload: Record<string, unknown> };
    expect(recs[0]!.key).toBeNull();
    expect(first.schema.name).toBe('orders');
    const f = Object.fromEntries(first.schema.fields.map((x) => [x.field as string, x]));
    expect(f.id).toEqual({ type: 'int32', optional: false, field: 'id' });
    expect(f.amount).toMatchObject({ type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2', 'connect.decimal.precision': '10' } });
    expect(f.big).toEqual({ type: 'int64', optional: true, field: 'big' });
    expect(f.small).toEqual({ type: 'int16', optional: true, field: 'small' });
    expect(f.flag).toEqual({ type: 'boolean', optional: false, field: 'flag' });
    expect(f.data).toEqual({ type: 'bytes', optional: true, field: 'data' });
    expect(f.updated_at).toMatchObject({ type: 'int64', name: 'org.apache.kafka.connect.data.Timestamp', optional: false });
    // int8 beyond 2^53 and numeric travel exactly: 1.01 is Decimal's unscaled 101 = 0x65.
    expect(recs[0]!.value!.toString()).toContain('"big":9007199254740994,');
    expect(recs[0]!.value!.toString()).toContain('"amount":"ZQ=="');

    // Source offsets are the JDBC connector's: partition {"protocol":"1","table":"src.public.orders"}.
    type Offs = { offsets: Array<{ partition: Record<string, unknown>; offset: Record<string, unknown> }> };
    // Offsets are flushed every offset.flush.interval.ms after the producer acknowledged the records.
    const o = await waitFor('source offsets flushed', async () => {
      const r = ((await rest(w.url, 'GET', '/connectors/pg-source/offsets')).body as Offs).offsets;
      return r[0]?.offset.incrementing === 3 ? r : undefined;
    });
    expect(o).toHaveLength(1);
    expect(o[0]!.partition).toEqual({ protocol: '1', table: 'src.public.orders' });
    expect(Object.keys(o[0]!.offset).sort()).toEqual(['incrementing', 'timestamp', 'timestamp_nanos']);

    // The sink's offsets are in the destination database, committed with the rows.
    const committed = await dst.query(`SELECT topic, "partition", next_offset FROM __kstream_connect_offsets WHERE connector = 'pg-sink'`);
    expect(committed.rows).toEqual([{ topic: 'pg_orders', partition: 0, next_offset: String(recs.length) }]);
    await w.close();
  }, 180_000);

  it('resumes from its offsets table (not the consumer group): insert mode writes every record exactly once', async () => {
    const dst = await client('dst');
    const topic = 'eos-events';
    const schema = { type: 'struct', optional: false, fields: [{ field: 'n', type: 'int32', optional: false }, { field: 's', type: 'string', optional: true }] };
    const p = new Producer(cluster);
    await p.prepareTopic(topic);
    const produce = async (from: number, to: number) => {
      for (let n = from; n <= to; n++) p.send({ topic, value: Buffer.from(JSON.stringify({ schema, payload: { n, s: `v${n}` } })) });
      await p.flush();
    };
    await produce(1, 50);
    const config = {
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
      'connection.url': url('dst'),
      'connection.user': pgs.user,
      'connection.password': pgs.password,
      topics: topic,
      'table.name.format': 'events',
      'auto.create': 'true',
      'batch.size': '7',
    };
    const props = await workerProps('pgeos');
    let w = await startWorker(props);
    expect((await rest(w.url, 'POST', '/connectors', { name: 'eos-sink', config })).status).toBe(201);
    const count = async () => Number(((await dst.query('SELECT count(*) AS c FROM events').catch(() => ({ rows: [{ c: '0' }] }))).rows[0] as { c: string }).c);
    await waitFor('50 rows', async () => (await count()) === 50);
    await w.close();
    // Without the group's offsets a sink would start over at the earliest offset and insert all 50 again.
    await new Admin(cluster).deleteGroups(['connect-eos-sink']);
    await produce(51, 80);
    w = await startWorker(props);
    expect((await rest(w.url, 'POST', '/connectors', { name: 'eos-sink', config })).status).toBe(201);
    await waitFor('80 rows', async () => (await count()) >= 80);
    // Give a duplicating sink time to show itself, then check every n appears once.
    await waitFor('offsets table at 80', async () => ((await dst.query(`SELECT next_offset FROM __kstream_connect_offsets WHERE connector = 'eos-sink'`)).rows[0] as { next_offset: string } | undefined)?.next_offset === '80');
    const r = await dst.query('SELECT n, count(*)::int AS c FROM events GROUP BY n ORDER BY n');
    expect(r.rows).toHaveLength(80);
    expect((r.rows as Array<{ c: number }>).every((x) => x.c === 1)).toBe(true);
    await w.close();
  }, 120_000);

  it('upserts and deletes by record key, auto-creates and auto-evolves the table', async () => {
    const dst = await client('dst');
    const topic = 'people';
    const keySchema = { type: 'struct', optional: false, fields: [{ field: 'id', type: 'int64', optional: false }] };
    const v1 = { type: 'struct', optional: false, fields: [{ field: 'name', type: 'string', optional: false }, { field: 'age', type: 'int32', optional: true }] };
    const v2 = { ...v1, fields: [...v1.fields, { field: 'email', type: 'string', optional: true }] };
    const v3 = { ...v1, fields: [...v1.fields, { field: 'required_new', type: 'string', optional: false }] };
    const key = (id: number) => Buffer.from(JSON.stringify({ schema: keySchema, payload: { id } }));
    const p = new Producer(cluster);
    await p.prepareTopic(topic);
    const send = (id: number, schema: object | null, payload: object | null) =>
      p.send({ topic, key: key(id), value: payload === null ? null : Buffer.from(JSON.stringify({ schema, payload })) });
    send(1, v1, { name: 'ann', age: 30 });
    send(2, v1, { name: 'bob', age: null });
    send(3, v1, { name: 'cid', age: 41 });
    send(1, v1, { name: 'ann', age: 31 });
    send(2, v2, { name: 'bob', age: 25, email: 'bob@example.com' });
    send(4, v2, { name: 'dee', age: 19, email: null });
    send(3, null, null);
    await p.flush();

    const w = await startWorker(await workerProps('pgupsert'));
    const created = await rest(w.url, 'POST', '/connectors', {
      name: 'people-sink',
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
        'connection.url': url('dst'),
        'connection.user': pgs.user,
        'connection.password': pgs.password,
        topics: topic,
        'insert.mode': 'upsert',
        'pk.mode': 'record_key',
        'delete.enabled': 'true',
        'auto.create': 'true',
        'auto.evolve': 'true',
      },
    });
    expect(created.status).toBe(201);
    const expected = ['(1,ann,31,)', '(2,bob,25,bob@example.com)', '(4,dee,19,)'];
    await waitFor('upserts, evolution and the delete applied', async () => JSON.stringify(await rows(dst, 'people').catch(() => [])) === JSON.stringify(expected));
    const cols = await dst.query(`SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = 'people' ORDER BY ordinal_position`);
    expect(cols.rows).toEqual([
      { column_name: 'id', data_type: 'bigint', is_nullable: 'NO' },
      { column_name: 'name', data_type: 'text', is_nullable: 'NO' },
      { column_name: 'age', data_type: 'integer', is_nullable: 'YES' },
      { column_name: 'email', data_type: 'text', is_nullable: 'YES' },
    ]);
    const pk = await dst.query(`SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) WHERE i.indrelid = 'people'::regclass AND i.indisprimary`);
    expect(pk.rows).toEqual([{ attname: 'id' }]);

    // A new required field without a default cannot be added to existing rows: the task fails, naming it.
    send(5, v3, { name: 'eve', age: 1, required_new: 'x' });
    await p.flush();
    const st = await waitFor('the task to fail', async () => {
      const r = await rest(w.url, 'GET', '/connectors/people-sink/status');
      const t = (r.body as { tasks: Array<{ state: string; trace?: string }> }).tasks[0];
      return t?.state === 'FAILED' ? t : undefined;
    });
    expect(st.trace).toContain('Cannot ALTER TABLE "people" to add missing field required_new, as the field is not optional and does not have a default value');
    expect(await rows(dst, 'people')).toEqual(expected);
    await w.close();
  }, 120_000);

  it('update mode by a primitive record key (pk.fields names its column); pk.mode=kafka keys rows by topic/partition/offset', async () => {
    const dst = await client('dst');
    await dst.query('CREATE TABLE accounts (account TEXT PRIMARY KEY, balance NUMERIC NOT NULL, touched BOOLEAN)');
    await dst.query("INSERT INTO accounts VALUES ('a-1', 10, false), ('a-2', 20, false)");
    const schema = { type: 'struct', optional: false, fields: [{ field: 'balance', type: 'bytes', optional: false, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2' } }, { field: 'touched', type: 'boolean', optional: true }] };
    const p = new Producer(cluster);
    await p.prepareTopic('balances');
    // 12.34 at scale 2 = unscaled 1234 = 0x04d2; 0.05 = 5.
    const send = (account: string, b64: string) => p.send({ topic: 'balances', key: Buffer.from(JSON.stringify({ schema: { type: 'string', optional: false }, payload: account })), value: Buffer.from(JSON.stringify({ schema, payload: { balance: b64, touched: true } })) });
    send('a-1', 'BNI=');
    send('a-3', 'BQ==');
    send('a-2', 'BQ==');
    await p.flush();
    const w = await startWorker(await workerProps('pgupdate'));
    const base = { 'connection.url': url('dst'), 'connection.user': pgs.user, 'connection.password': pgs.password, topics: 'balances' };
    expect((await rest(w.url, 'POST', '/connectors', { name: 'acct-sink', config: { ...base, 'connector.class': 'JdbcSinkConnector', 'table.name.format': 'accounts', 'insert.mode': 'update', 'pk.mode': 'record_key', 'pk.fields': 'account' } })).status).toBe(201);
    expect((await rest(w.url, 'POST', '/connectors', { name: 'audit-sink', config: { ...base, 'connector.class': 'JdbcSinkConnector', 'table.name.format': 'audit_${topic}', 'pk.mode': 'kafka', 'auto.create': 'true' } })).status).toBe(201);
    // UPDATE touches existing rows only: a-3 is not inserted.
    await waitFor('both updates', async () => JSON.stringify(await rows(dst, '(SELECT account AS id, balance, touched FROM accounts)')) === JSON.stringify(['(a-1,12.34,t)', '(a-2,0.05,t)']));
    const audit = await waitFor('three audit rows', async () => {
      const r = await dst.query('SELECT __connect_topic, __connect_partition, __connect_offset, balance FROM audit_balances ORDER BY __connect_offset').catch(() => ({ rows: [] }));
      return r.rows.length === 3 ? r.rows : undefined;
    });
    expect(audit).toEqual([
      { __connect_topic: 'balances', __connect_partition: 0, __connect_offset: '0', balance: '12.34' },
      { __connect_topic: 'balances', __connect_partition: 0, __connect_offset: '1', balance: '0.05' },
      { __connect_topic: 'balances', __connect_partition: 0, __connect_offset: '2', balance: '0.05' },
    ]);
    await w.close();
  }, 120_000);

  it('refuses bad configs with Kafka Connect’s 400', async () => {
    const w = await startWorker(await workerProps('pgbad'));
    const bad = async (config: Record<string, string>) => {
      const r = await rest(w.url, 'POST', '/connectors', { name: `bad-${Math.random().toString(36).slice(2)}`, config });
      expect(r.status).toBe(400);
      return (r.body as { message: string }).message;
    };
    expect(await bad({ 'connector.class': 'JdbcSourceConnector', 'connection.url': 'jdbc:mysql://h/db', mode: 'bulk', 'topic.prefix': 'x' })).toContain('only PostgreSQL URLs');
    expect(await bad({ 'connector.class': 'JdbcSourceConnector', 'connection.url': url('src'), mode: 'sometimes', 'topic.prefix': 'x' })).toContain('mode');
    expect(await bad({ 'connector.class': 'JdbcSinkConnector', 'connection.url': url('dst'), topics: 't', 'pk.mode': 'wrong' })).toContain('pk.mode');
    await w.close();
  }, 60_000);
});
