/**
 * ACLs end to end with real clients: `kstream acls` (our CLI, as a super user on a loopback PLAINTEXT
 * listener) grants and revokes; kafkajs and kcat authenticate with SASL PLAIN as ordinary users and are
 * allowed or refused accordingly; the ACLs survive a broker restart.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, hasKcat, runCli, runKcat, startTestBroker, tempDir, type TestBroker } from '../../helpers/index.ts';

const JAAS = 'org.apache.kafka.common.security.plain.PlainLoginModule required user_admin="admin-secret" user_alice="alice-secret" user_bob="bob-secret";';

let dataDir: string;
let b: TestBroker;
const config = {
  listeners: 'SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0',
  'sasl.enabled.mechanisms': 'PLAIN',
  'sasl.jaas.config': JAAS,
  'connection.failed.authentication.delay.ms': '0',
  'authorizer.class.name': 'kafka.security.authorizer.AclAuthorizer',
  // The loopback PLAINTEXT listener's connections are User:ANONYMOUS: the admin's way in (docs/security.md).
  'super.users': 'User:admin;User:ANONYMOUS',
};
const saslBootstrap = () => `127.0.0.1:${b.broker.listeners.find((l) => l.name === 'SASL_PLAINTEXT')!.address.port}`;
const plainBootstrap = () => `127.0.0.1:${b.broker.listeners.find((l) => l.name === 'PLAINTEXT')!.address.port}`;
const cli = (...args: string[]) => runCli([...args, '-b', plainBootstrap()], { timeoutMs: 30_000 });

function kafkajs(user: string) {
  return new Kafka({
    clientId: `acl-${user}`,
    brokers: [saslBootstrap()],
    sasl: { mechanism: 'plain', username: user, password: `${user}-secret` },
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
  });
}

beforeAll(async () => {
  dataDir = await tempDir();
  b = await startTestBroker({ config, dataDir });
  const admin = kafkajs('admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 1 }, { topic: 'secret', numPartitions: 1 }] });
  const p = kafkajs('admin').producer();
  await p.connect();
  await p.send({ topic: 'orders', messages: [{ value: 'o1' }, { value: 'o2' }] });
  await p.send({ topic: 'secret', messages: [{ value: 's1' }] });
  await p.disconnect();
  await admin.disconnect();
}, 60_000);
afterAll(closeAll);

describe('ACLs with kstream acls, kafkajs and kcat', () => {
  it('kstream acls create / list: --consumer and --producer shortcuts, prefixed patterns, pipe-friendly output', async () => {
    let r = await cli('acls', 'create', '--allow-principal', 'User:alice', '--consumer', '--topic', 'orders', '--group', 'billing');
    expect(r.code, r.stderr).toBe(0);
    r = await cli('acls', 'create', '--allow-principal', 'User:bob', '--producer', '--topic', 'out-', '--resource-pattern-type', 'prefixed');
    expect(r.code, r.stderr).toBe(0);
    r = await cli('acls', 'list');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^RESOURCE TYPE\s+PATTERN\s+NAME\s+PRINCIPAL\s+HOST\s+OPERATION\s+PERMISSION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).join(' '))).toEqual([
      'GROUP LITERAL billing User:alice * READ ALLOW',
      'TOPIC LITERAL orders User:alice * DESCRIBE ALLOW',
      'TOPIC LITERAL orders User:alice * READ ALLOW',
      'TOPIC PREFIXED out- User:bob * CREATE ALLOW',
      'TOPIC PREFIXED out- User:bob * DESCRIBE ALLOW',
      'TOPIC PREFIXED out- User:bob * WRITE ALLOW',
    ]);
    r = await cli('acls', 'list', '--principal', 'User:bob', '--json');
    expect(JSON.parse(r.stdout)).toHaveLength(3);
    r = await cli('acls', 'list', '--topic', 'out-events', '--resource-pattern-type', 'match', '--json');
    expect(JSON.parse(r.stdout).map((a: { operation: string }) => a.operation).sort()).toEqual(['CREATE', 'DESCRIBE', 'WRITE']);
  });

  it('kstream acls over SASL PLAIN: the super user lists, an ordinary user is refused by the cluster ACL check', async () => {
    const sasl = (user: string) => runCli(['acls', 'list', '--json', '-b', saslBootstrap(), '--security-protocol', 'SASL_PLAINTEXT', '--sasl-mechanism', 'PLAIN', '--sasl-username', user], {
      timeoutMs: 30_000,
      env: { ...process.env, KSTREAM_SASL_PASSWORD: `${user}-secret` },
    });
    const admin = await sasl('admin');
    expect(admin.code, admin.stderr).toBe(0);
    expect(JSON.parse(admin.stdout)).toHaveLength(6);
    const alice = await sasl('alice');
    expect(alice.code).not.toBe(0);
    expect(alice.stderr).toMatch(/CLUSTER_AUTHORIZATION_FAILED|Cluster authorization failed/);
  });

  it('bad flags are clear errors and create nothing', async () => {
    let r = await cli('acls', 'create', '--allow-principal', 'alice', '--topic', 'orders');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/principal "alice" must be Type:name/);
    r = await cli('acls', 'create', '--allow-principal', 'User:alice', '--operation', 'IdempotentWrite', '--topic', 'orders');
    expect(r.stderr).toMatch(/TOPIC orders does not support operation IDEMPOTENT_WRITE/);
    r = await cli('acls', 'create', '--allow-principal', 'User:alice', '--operation', 'Read');
    expect(r.stderr).toMatch(/name a resource/);
    r = await cli('acls', 'list', '--principal', 'User:alice', '--json');
    expect(JSON.parse(r.stdout)).toHaveLength(3);
  });

  it('kafkajs as alice consumes orders in group billing, is refused secret and writes; unauthorized topics are hidden from metadata', async () => {
    const kafka = kafkajs('alice');
    const consumer = kafka.consumer({ groupId: 'billing' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const seen: string[] = [];
    await new Promise<void>((resolve, reject) => {
      consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); if (seen.length === 2) resolve(); } }).catch(reject);
    });
    await consumer.disconnect();
    expect(seen).toEqual(['o1', 'o2']);

    const admin = kafka.admin();
    await admin.connect();
    expect(await admin.listTopics()).toEqual(['orders']);
    await expect(admin.fetchTopicMetadata({ topics: ['secret'] })).rejects.toThrow(/authoriz/i);
    await admin.disconnect();

    const producer = kafka.producer();
    await producer.connect().catch(() => {});
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'x' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
  });

  it('kafkajs as bob produces to prefixed topics it may create, and nowhere else', async () => {
    const producer = kafkajs('bob').producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const [res] = await producer.send({ topic: 'out-events', messages: [{ value: 'e1' }] });
    expect(res!.errorCode).toBe(0);
    await expect(producer.send({ topic: 'orders', messages: [{ value: 'nope' }] })).rejects.toThrow(/authoriz/i);
    await producer.disconnect();
  });

  it.skipIf(!hasKcat)('kcat with SASL PLAIN reads a topic it may read and is refused one it may not', async () => {
    const sasl = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=alice', '-X', 'sasl.password=alice-secret'];
    const ok = await runKcat(['-b', saslBootstrap(), ...sasl, '-C', '-t', 'orders', '-e', '-f', '%s\n']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim().split('\n')).toEqual(['o1', 'o2']);
    const refused = await runKcat(['-b', saslBootstrap(), ...sasl, '-C', '-t', 'secret', '-e', '-f', '%s\n'], { timeoutMs: 20_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/authoriz/i);
  });

  it('ACLs survive a restart; kstream acls delete removes them (refusing without --yes off a terminal)', async () => {
    await b.close();
    b = await startTestBroker({ config, dataDir });
    let r = await cli('acls', 'list', '--json');
    expect(JSON.parse(r.stdout)).toHaveLength(6);

    r = await cli('acls', 'delete', '--topic', 'orders');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/pass --yes/);
    r = await cli('acls', 'delete', '--allow-principal', 'User:alice', '--operation', 'Read', '--topic', 'orders', '--yes');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/removed ALLOW User:alice from \*: READ on TOPIC orders/);
    r = await cli('acls', 'list', '--topic', 'orders', '--json');
    expect(JSON.parse(r.stdout).map((a: { operation: string }) => a.operation)).toEqual(['DESCRIBE']);

    // DESCRIBE without READ: alice sees orders but may not fetch it.
    const consumer = kafkajs('alice').consumer({ groupId: 'billing' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'orders', fromBeginning: true });
    const failed = new Promise<Error>((resolve) => {
      consumer.on(consumer.events.CRASH, (e) => resolve(e.payload.error));
    });
    void consumer.run({ eachMessage: async () => {} });
    expect((await failed).message).toMatch(/authoriz/i);
    await consumer.disconnect();

    r = await cli('acls', 'delete', '--topic', 'orders', '--group', 'billing', '--yes');
    expect(r.code, r.stderr).toBe(0);
    r = await cli('acls', 'list', '--principal', 'User:alice', '--json');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});
