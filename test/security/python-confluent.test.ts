/** confluent-kafka (python3-confluent-kafka, librdkafka) over SASL_SSL with SCRAM-SHA-512, and a wrong password. */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, run, startTestBroker, type TestBroker } from '../helpers/index.ts';
import { fourListeners, makePki, type TestPki } from './pki.ts';
import { createScramUser } from './scram-users.ts';

const PYTHON = '/usr/bin/python3';
const hasConfluent = spawnSync(PYTHON, ['-c', 'import confluent_kafka'], { stdio: 'ignore' }).status === 0;

const SCRIPT = String.raw`
import sys, json
from confluent_kafka import Producer, Consumer, KafkaException
conf = json.loads(sys.argv[1])
p = Producer(conf)
p.produce('py-scram', b'from python')
left = p.flush(20)
if left: sys.exit('not delivered')
c = Consumer({**conf, 'group.id': 'py', 'auto.offset.reset': 'earliest'})
c.subscribe(['py-scram'])
for _ in range(100):
    m = c.poll(0.5)
    if m is not None and m.error() is None:
        print(m.value().decode()); break
c.close()
`;

const PROBE = String.raw`
import sys, json
from confluent_kafka.admin import AdminClient
a = AdminClient(json.loads(sys.argv[1]))
try:
    a.list_topics(timeout=5)
    print('connected')
except Exception as e:
    print('error: ' + str(e))
`;

let pki: TestPki;
let b: TestBroker;

describe.skipIf(!hasConfluent)(`confluent-kafka (python)${hasConfluent ? '' : ' (skipped: python3-confluent-kafka is not installed)'}`, () => {
  beforeAll(async () => {
    pki = await makePki();
    b = await startTestBroker({ config: fourListeners(pki) });
    const plain = b.broker.listeners.find((l) => l.name === 'PLAINTEXT')!.address.port;
    expect((await createScramUser(plain, 'carol', 'carol-secret', 'SCRAM-SHA-512')).results[0]!.errorCode).toBe(0);
  }, 60_000);
  afterAll(closeAll);

  const conf = (password: string) => ({
    'bootstrap.servers': `127.0.0.1:${b.broker.listeners.find((l) => l.name === 'SASL_SSL')!.address.port}`,
    'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'SCRAM-SHA-512', 'sasl.username': 'carol', 'sasl.password': password,
    'ssl.ca.location': pki.caFile,
  });

  it('produces and consumes over SASL_SSL with SCRAM-SHA-512', async () => {
    const r = await run(PYTHON, ['-c', SCRIPT, JSON.stringify(conf('carol-secret'))], { timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('from python');
  });

  it('a wrong password is an authentication error', async () => {
    const r = await run(PYTHON, ['-c', PROBE, JSON.stringify(conf('nope'))], { timeoutMs: 30_000 });
    expect(r.stdout + r.stderr).toMatch(/Authentication failed|SASL authentication error/i);
    expect(r.stdout).not.toContain('connected');
  });
});
