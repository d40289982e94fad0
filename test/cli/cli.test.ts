import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { murmur2, toPositive } from '../../src/client/murmur2.ts';
import { closeAll, devBin, hasKcat, nodeBin, run, runKcat, startTestBroker, type RunResult, type TestBroker } from '../helpers/index.ts';

/**
 * The real CLI (bin/dev: the current sources, no build) as a subprocess against a broker
 * on an ephemeral port, with stdin/stdout pipes — what a user's shell does.
 */

const bin = devBin;
// Each CLI process costs seconds on a loaded machine; these tests check behaviour, not speed.
vi.setConfig({ testTimeout: 240_000 });
let broker: TestBroker;

function kstream(args: string[], opts: { input?: string | Buffer; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return run(nodeBin, [bin, ...args, '-b', broker.bootstrap], {
    ...opts,
    env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '', ...opts.env },
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kstream(args, { input });
  if (r.code !== 0) throw new Error(`kstream ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '1' } });
});
afterAll(() => closeAll());

describe('produce → consume round trips', () => {
  it('the issue example: a JSON envelope goes in and comes out the same, and consume | produce copies a topic exactly', async () => {
    await ok(['topics', 'create', 'demo', '--partitions', '3']);
    await ok(['topics', 'create', 'other', '--partitions', '3']);
    await ok(['produce', 'demo', '--format', 'json'], '{"key":"k","value":{"a":1}}\n');
    const more = [
      '{"key":"user-1","value":"plain text","headers":[["h","1"],["h","2"]]}',
      '{"key":null,"value":null}',
      '{"key":"bin","value":"/w==","valueEncoding":"base64","timestamp":1700000000000}',
      '{"key":"user-2","value":[1,2,{"b":false}],"partition":2}',
    ];
    await ok(['produce', 'demo', '--format', 'json'], `${more.join('\n')}\n`);
    const out = await ok(['consume', 'demo', '--from-beginning', '-e', '--format', 'json']);
    const records = lines(out).map((l) => JSON.parse(l));
    expect(records).toHaveLength(5);
    const first = records.find((r) => r.key === 'k');
    expect(first.value).toEqual({ a: 1 });
    expect(first.partition).toBe(toPositive(murmur2(Buffer.from('k'))) % 3);
    expect(records.find((r) => r.key === 'user-1').headers).toEqual([['h', '1'], ['h', '2']]);
    expect(records.find((r) => r.key === null).value).toBeNull();
    const bin = records.find((r) => r.key === 'bin');
    expect(bin.valueEncoding).toBe('base64');
    expect(bin.timestamp).toBe(1700000000000);
    expect(records.find((r) => r.key === 'user-2')).toMatchObject({ partition: 2, value: [1, 2, { b: false }] });

    await ok(['produce', 'other', '--format', 'json', '--keep-partitions'], out);
    const copy = await ok(['consume', 'other', '--from-beginning', '-e', '--format', 'json']);
    const norm = (s: string) => lines(s).map((l) => ({ ...JSON.parse(l), topic: undefined })).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
    expect(norm(copy)).toEqual(norm(out));
  });

  it('raw lines with keys, headers, partitions and the print/offset/template/grep options', async () => {
    await ok(['topics', 'create', 'raw', '--partitions', '2']);
    await ok(['produce', 'raw', '-K', ':', '-H', 'src=test', '-H', 'n=1', '--partition', '1'], 'a:1\nb:2\nno key\n\nc:3\n');
    const plain = await ok(['consume', 'raw', '--from-beginning', '-e']);
    expect(plain).toBe('1\n2\nno key\n\n3\n');
    const keyed = await ok(['consume', 'raw', '--from-beginning', '-e', '-k', '--print-headers', '--print-offset']);
    expect(lines(keyed)[0]).toBe('1:0\ta\tsrc=test,n=1\t1');
    expect(lines(keyed)[2]).toBe('1:2\t\tsrc=test,n=1\tno key');
    const tpl = await ok(['consume', 'raw', '--from-beginning', '-e', '--format', 'template', '--template', '{{partition}}/{{offset}} {{key}}={{value}} {{header.src}}']);
    expect(lines(tpl)).toEqual(['1/0 a=1 test', '1/1 b=2 test', '1/2 =no key test', '1/3 = test', '1/4 c=3 test']);
    expect(await ok(['consume', 'raw', '--from-beginning', '-e', '--grep', '^[bc]$', '-k'])).toBe('b\t2\nc\t3\n');
    expect(await ok(['consume', 'raw', '-o', '-2', '-e'])).toBe('\n3\n');
    expect(await ok(['consume', 'raw', '-o', '1', '-e', '-n', '2'])).toBe('2\nno key\n');
    expect(await ok(['consume', 'raw', '--from-beginning', '-e', '--partition', '0'])).toBe('');
    expect(await ok(['consume', 'raw', '--from-timestamp', String(Date.now() + 60_000), '-e'])).toBe('');
    // Values as arguments.
    await ok(['produce', 'raw', '--partition', '0', 'hello', 'world']);
    expect(await ok(['consume', 'raw', '--from-beginning', '-e', '-p', '0'])).toBe('hello\nworld\n');
  });

  it('keyed records land on toPositive(murmur2(key)) % partitions, like the Java client', async () => {
    await ok(['topics', 'create', 'keyed', '--partitions', '5']);
    const keys = Array.from({ length: 40 }, (_, i) => `key-${i}`);
    await ok(['produce', 'keyed', '-K', '='], keys.map((k) => `${k}=v`).join('\n'));
    const out = await ok(['consume', 'keyed', '--from-beginning', '-e', '--format', 'json']);
    const recs = lines(out).map((l) => JSON.parse(l));
    expect(recs).toHaveLength(40);
    for (const r of recs) expect(r.partition).toBe(toPositive(murmur2(Buffer.from(r.key))) % 5);
  });

  it('compression codecs and acks settings all deliver', async () => {
    for (const [codec, acks] of [['gzip', 'all'], ['snappy', '1'], ['lz4', 'all'], ['zstd', '1'], ['none', '0']]) {
      const topic = `comp-${codec}`;
      const input = Array.from({ length: 500 }, (_, i) => `${codec} record ${i}`).join('\n');
      await ok(['produce', topic, '--compression', codec!, '--acks', acks!, '--linger-ms', '20']);
      await ok(['produce', topic, '--compression', codec!, '--acks', acks!], input);
      const got = await ok(['consume', topic, '--from-beginning', '-e']);
      expect(lines(got)).toEqual(input.split('\n'));
    }
  });
});

describe.skipIf(!hasKcat)('interoperability with kcat', () => {
  it('kcat produces → kstream consume reads identical keys, values and headers', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `from-kcat-${codec}`;
      const r = await runKcat(['-b', broker.bootstrap, '-P', '-t', topic, '-z', codec, '-K:', '-H', 'a=1', '-H', 'b=two'], { input: 'k1:v1\nk2:v2\n' });
      expect(r.code, r.stderr).toBe(0);
      const out = lines(await ok(['consume', topic, '--from-beginning', '-e', '--format', 'json', '--check-crcs'])).map((l) => JSON.parse(l));
      expect(out.map((x) => [x.key, x.value, x.headers]), codec).toEqual([
        ['k1', 'v1', [['a', '1'], ['b', 'two']]],
        ['k2', 'v2', [['a', '1'], ['b', 'two']]],
      ]);
    }
  });

  it('kstream produces → kcat -C reads identical keys, values and headers', async () => {
    for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd']) {
      const topic = `to-kcat-${codec}`;
      await ok(['produce', topic, '-K', ':', '-H', 'x=y', '-H', 'z=w', '--compression', codec], 'k9:v9\nk8:v8\n');
      const r = await runKcat(['-b', broker.bootstrap, '-C', '-t', topic, '-e', '-q', '-f', '%k %s %h\\n']);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout, codec).toBe('k9 v9 x=y,z=w\nk8 v8 x=y,z=w\n');
    }
  });

  it('groups describe shows the lag kcat -G left uncommitted', async () => {
    await ok(['topics', 'create', 'lagged', '--partitions', '2']);
    await ok(['produce', 'lagged', '-K', ':'], Array.from({ length: 20 }, (_, i) => `k${i}:v${i}`).join('\n'));
    const r = await runKcat(['-b', broker.bootstrap, '-G', 'kcat-group', 'lagged', '-X', 'auto.offset.reset=earliest', '-e', '-q', '-f', '%s\\n'], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toHaveLength(20);
    let d = JSON.parse(await ok(['groups', 'describe', 'kcat-group', '--json']));
    expect(d.totalLag).toBe(0);
    expect(d.partitions.reduce((s: number, p: { committed: number }) => s + p.committed, 0)).toBe(20);
    await ok(['produce', 'lagged', '-K', ':'], 'k1:late1\nk2:late2\nk3:late3\n');
    d = JSON.parse(await ok(['groups', 'describe', 'kcat-group', '--json']));
    expect(d.totalLag).toBe(3);
    for (const p of d.partitions) expect(p.lag).toBe(p.logEnd - p.committed);
    const table = await ok(['groups', 'describe', 'kcat-group']);
    expect(table).toMatch(/TOTAL LAG 3/);
  }, 240_000);
});

describe.skipIf(!hasKcat)('a mixed group with kcat', () => {
  it('kstream consume and kcat -G share a topic with cooperative-sticky: every record read once', async () => {
    await ok(['topics', 'create', 'coop', '--partitions', '4']);
    const ours = spawn(nodeBin, [bin, 'consume', 'coop', '-g', 'mixed', '--assignor', 'cooperative-sticky', '-b', broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    let oursOut = '';
    let oursErr = '';
    let kcatOut = '';
    ours.stdout.on('data', (d) => (oursOut += d));
    ours.stderr.on('data', (d) => (oursErr += d));
    const oursExit = new Promise<number | null>((res) => ours.once('exit', (code) => res(code)));
    const describeGroup = async () => {
      const r = await kstream(['groups', 'describe', 'mixed', '--json']);
      return r.code === 0 ? JSON.parse(r.stdout) : { members: [] };
    };
    const waitFor = async (what: string, cond: () => Promise<boolean>) => {
      const deadline = Date.now() + 30_000;
      while (!(await cond())) {
        if (Date.now() > deadline) {
          const d = await describeGroup();
          throw new Error(`timed out waiting for ${what}; kstream read ${lines(oursOut).length}, kcat ${lines(kcatOut).length}; group: ${JSON.stringify(d.partitions)}; kstream stderr: ${oursErr}`);
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await waitFor('kstream to own all 4 partitions', async () => (await describeGroup()).members[0]?.assignment.length === 4);
    const kcat = spawn('kcat', ['-b', broker.bootstrap, '-G', 'mixed', 'coop', '-X', 'partition.assignment.strategy=cooperative-sticky', '-X', 'auto.offset.reset=earliest', '-f', '%s\\n', '-q', '-u'], { stdio: ['ignore', 'pipe', 'pipe'] });
    kcat.stdout.on('data', (d) => (kcatOut += d));
    const kcatExit = new Promise<number | null>((res) => kcat.once('exit', (code) => res(code)));
    try {
      await waitFor('two members with two partitions each', async () => {
        const d = await describeGroup();
        return d.members.length === 2 && d.members.every((m: { assignment: unknown[] }) => m.assignment.length === 2);
      });
      expect((await describeGroup()).protocol).toBe('cooperative-sticky');
      const values = Array.from({ length: 40 }, (_, i) => `v${i}`);
      await ok(['produce', 'coop', '--batch-size', '1', '--linger-ms', '0'], values.join('\n'));
      await waitFor('all 40 records read', async () => lines(oursOut).length + lines(kcatOut).length >= 40);
      expect([...lines(oursOut), ...lines(kcatOut)].sort()).toEqual([...values].sort());
      expect(lines(oursOut).length).toBeGreaterThan(0);
      expect(lines(kcatOut).length).toBeGreaterThan(0);
    } finally {
      ours.kill('SIGINT');
      kcat.kill('SIGTERM');
    }
    expect(await oursExit).toBe(0);
    await kcatExit;
  }, 240_000);
});

describe('consumer groups', () => {
  it('consume -g commits what it printed; describe, reset-offsets (dry run, execute) and delete', async () => {
    await ok(['topics', 'create', 'gt', '--partitions', '3']);
    await ok(['produce', 'gt', '-K', ':'], Array.from({ length: 30 }, (_, i) => `k${i}:v${i}`).join('\n'));
    const first = await ok(['consume', 'gt', '-g', 'g1', '--from-beginning', '-e', '-n', '10']);
    expect(lines(first)).toHaveLength(10);
    let d = JSON.parse(await ok(['groups', 'describe', 'g1', '--json']));
    expect(d.totalLag).toBe(20);
    const rest = await ok(['consume', 'gt', '-g', 'g1', '-e']);
    expect(lines(rest)).toHaveLength(20);
    expect(new Set([...lines(first), ...lines(rest)]).size).toBe(30);
    d = JSON.parse(await ok(['groups', 'describe', 'g1', '--json']));
    expect(d.totalLag).toBe(0);
    expect(d.state).toBe('Empty');
    expect(JSON.parse(await ok(['groups', 'list', '--json']))).toContainEqual({ groupId: 'g1', protocolType: 'consumer', state: 'Empty' });

    const dry = JSON.parse(await ok(['groups', 'reset-offsets', 'g1', '--topic', 'gt', '--to-earliest', '--json']));
    expect(dry.executed).toBe(false);
    expect(dry.plan.every((p: { target: number }) => p.target === 0)).toBe(true);
    expect(JSON.parse(await ok(['groups', 'describe', 'g1', '--json'])).totalLag).toBe(0);
    await ok(['groups', 'reset-offsets', 'g1', '--topic', 'gt', '--shift-by', '-2', '--execute']);
    expect(JSON.parse(await ok(['groups', 'describe', 'g1', '--json'])).totalLag).toBe(6);
    expect(lines(await ok(['consume', 'gt', '-g', 'g1', '-e']))).toHaveLength(6);
    await ok(['groups', 'reset-offsets', 'g1', '--topic', 'gt', '--to-earliest', '--execute']);
    expect(lines(await ok(['consume', 'gt', '-g', 'g1', '-e']))).toHaveLength(30);

    const refused = await kstream(['groups', 'delete', 'g1']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/--yes/);
    await ok(['groups', 'delete', 'g1', '--yes']);
    expect(JSON.parse(await ok(['groups', 'list', '--json'])).map((g: { groupId: string }) => g.groupId)).not.toContain('g1');
  }, 240_000);

  it('Ctrl-C closes a group consumer cleanly: it leaves the group and commits', async () => {
    await ok(['topics', 'create', 'sig', '--partitions', '2']);
    await ok(['produce', 'sig'], 'a\nb\nc\n');
    const child = spawn(nodeBin, [bin, 'consume', 'sig', '-g', 'sig-group', '--from-beginning', '-b', broker.bootstrap], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    const deadline = Date.now() + 20_000;
    while (lines(out).length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(lines(out)).toEqual(['a', 'b', 'c']);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).toBe('');
    const d = JSON.parse(await ok(['groups', 'describe', 'sig-group', '--json']));
    expect(d.members).toEqual([]);
    expect(d.totalLag).toBe(0);
  }, 240_000);
});

describe('topics', () => {
  it('create, list, describe, alter-config, add-partitions and delete', async () => {
    await ok(['topics', 'create', 'admin-t', '-p', '2', '--config', 'retention.ms=3600000']);
    const again = await kstream(['topics', 'create', 'admin-t']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toBe('error: topic "admin-t" already exists\n');
    await ok(['topics', 'create', 'admin-t', '--if-not-exists']);
    expect(JSON.parse(await ok(['topics', 'list', '--json']))).toContainEqual({ name: 'admin-t', partitions: 2, replicationFactor: 1, internal: false, messages: 0 });
    expect(await ok(['topics', 'list'])).toMatch(/^NAME\s+PARTITIONS\s+REPLICAS\s+MESSAGES\n/);
    await ok(['produce', 'admin-t', '-p', '1', 'x', 'y']);
    const d = JSON.parse(await ok(['topics', 'describe', 'admin-t', '--json']));
    expect(d.partitions.map((p: { partition: number; latest: number }) => [p.partition, p.latest])).toEqual([
      [0, 0],
      [1, 2],
    ]);
    expect(d.configs['retention.ms']).toBe('3600000');
    await ok(['topics', 'alter-config', 'admin-t', '--set', 'retention.ms=7200000', '--set', 'cleanup.policy=compact']);
    const d2 = JSON.parse(await ok(['topics', 'describe', 'admin-t', '--json']));
    expect(d2.configs).toMatchObject({ 'retention.ms': '7200000', 'cleanup.policy': 'compact' });
    await ok(['topics', 'add-partitions', 'admin-t', '--partitions', '4']);
    expect(JSON.parse(await ok(['topics', 'describe', 'admin-t', '--json'])).partitions).toHaveLength(4);
    const shrink = await kstream(['topics', 'add-partitions', 'admin-t', '--partitions', '3']);
    expect(shrink.code).not.toBe(0);
    expect(lines(shrink.stderr)).toHaveLength(1);

    const refused = await kstream(['topics', 'delete', 'admin-t']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toBe('error: refusing to delete admin-t without confirmation: not a terminal, pass --yes to confirm\n');
    await ok(['topics', 'delete', 'admin-t', '--yes']);
    expect(JSON.parse(await ok(['topics', 'list', '--json'])).map((t: { name: string }) => t.name)).not.toContain('admin-t');
  });
});

describe('errors and pipes', () => {
  it('an unreachable broker, an unknown topic and bad flags give one clear stderr line and a non-zero exit', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    const down = await run(nodeBin, [bin, 'topics', 'list', '-b', `127.0.0.1:${closedPort}`], { env: { ...process.env, NO_COLOR: '1' } });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(`error: could not connect to 127.0.0.1:${closedPort} — is a broker running? start one with \`kstream serve\`\n`);

    const envDown = await run(nodeBin, [bin, 'consume', 'x'], { env: { ...process.env, KSTREAM_BOOTSTRAP_SERVER: `127.0.0.1:${closedPort}` } });
    expect(envDown.stderr).toContain(`127.0.0.1:${closedPort}`);

    const unknown = await kstream(['consume', 'no-such-topic', '-e']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('error: topic "no-such-topic" does not exist (create it with `kstream topics create no-such-topic`): UNKNOWN_TOPIC_OR_PARTITION\n');

    for (const args of [['consume', 'demo', '--bogus'], ['consume', 'demo', '--offset', 'soon'], ['consume', 'demo', '--format', 'xml'], ['produce'], ['consume', 'demo', '--format', 'template']]) {
      const r = await kstream(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(lines(r.stderr), `${args.join(' ')}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr).toMatch(/^error: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }

    const badJson = await kstream(['produce', 'demo', '--format', 'json'], { input: '{"value":"ok"}\nnot json\n' });
    expect(badJson.code).toBe(1);
    expect(badJson.stderr).toMatch(/^error: line 2, column 1: not valid JSON/);

    // A broker that does not auto-create topics: produce says so at once.
    const strict = await startTestBroker({ config: { 'auto.create.topics.enable': 'false' } });
    const started = Date.now();
    const noTopic = await run(nodeBin, [bin, 'produce', 'absent', 'x', '-b', strict.bootstrap]);
    expect(noTopic.code).toBe(1);
    expect(noTopic.stderr).toBe('error: topic "absent" does not exist (create it with `kstream topics create absent`): UNKNOWN_TOPIC_OR_PARTITION\n');
    console.log(`produce to a missing topic failed after ${Date.now() - started} ms`);
    await strict.close();

    const debug = await kstream(['consume', 'no-such-topic', '-e', '--debug']);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it('| head -n 3 ends the consumer cleanly', async () => {
    const input = Array.from({ length: 60_000 }, (_, i) => `record number ${i} ${'x'.repeat(40)}`).join('\n');
    await ok(['produce', 'many'], input);
    const r = await run('bash', ['-o', 'pipefail', '-c', `"${nodeBin}" "${bin}" consume many --from-beginning -b ${broker.bootstrap} | head -n 3`], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(lines(r.stdout)).toEqual([0, 1, 2].map((i) => `record number ${i} ${'x'.repeat(40)}`));
    expect(r.stderr).toBe('');
  });
});
