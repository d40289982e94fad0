import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, nodeBin, repoRoot, run, startTestBroker, waitForLine, type RunResult, type TestBroker } from '../helpers/index.ts';

/**
 * Issue 14's admin features, each run as the CLI process (bin/dev: the current sources) against a
 * real broker: topics delete-records, groups delete-offsets, groups describe --members/--state,
 * brokers list, cluster describe, configs get/set/delete. kafkajs checks what they report or change.
 */

const bin = join(repoRoot, 'bin', 'dev');
let broker: TestBroker;

function kstream(args: string[], opts: { input?: string } = {}): Promise<RunResult> {
  return run(nodeBin, [bin, ...args, '-b', broker.bootstrap], {
    input: opts.input,
    timeoutMs: 120_000,
    env: { ...process.env, NO_COLOR: '1', KSTREAM_BOOTSTRAP_SERVER: '', KSTREAM_PROFILE: '', XDG_CONFIG_HOME: join(repoRoot, 'test', 'cli', 'no-such-config-dir') },
  });
}

async function ok(args: string[], input?: string): Promise<RunResult> {
  const r = await kstream(args, { input });
  if (r.code !== 0) throw new Error(`kstream ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const seq = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));

/** A group member in the background (consume -g … --verbose), resolved once it has its assignment. */
async function activeMember(topic: string, group: string, extra: string[] = []): Promise<{ child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(nodeBin, [bin, 'consume', topic, '-g', group, '--verbose', ...extra, '-b', broker.bootstrap], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', KSTREAM_PROFILE: '', XDG_CONFIG_HOME: join(repoRoot, 'test', 'cli', 'no-such-config-dir') },
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.stdout!.resume();
  await waitForLine(child.stderr!, new RegExp(`^assigned: ${topic} \\[`), 60_000, exited);
  return {
    child,
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

beforeAll(async () => {
  broker = await startTestBroker({ config: { 'group.initial.rebalance.delay.ms': '0', 'num.partitions': '1' } });
});
afterAll(() => closeAll());

describe('topics delete-records', () => {
  it('--before-offset on one partition: asks (refused off a terminal), then moves the log start', async () => {
    await ok(['topics', 'create', 'dr', '--partitions', '2']);
    await ok(['produce', 'dr', '-p', '0'], `${seq(1, 10).join('\n')}\n`);
    await ok(['produce', 'dr', '-p', '1'], `${seq(1, 5).join('\n')}\n`);
    const refused = await kstream(['topics', 'delete-records', 'dr', '--before-offset', '4', '-p', '0']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^error: refusing to delete records of dr partition 0 without confirmation: not a terminal, pass --yes/);
    expect(lines((await ok(['consume', 'dr', '-p', '0', '--from-beginning', '-e'])).stdout)).toEqual(seq(1, 10));

    const r = await ok(['topics', 'delete-records', 'dr', '--before-offset', '4', '-p', '0', '--yes', '--json']);
    expect(JSON.parse(r.stdout)).toEqual([{ topic: 'dr', partition: 0, lowWatermark: 4, error: null }]);
    expect(lines((await ok(['consume', 'dr', '-p', '0', '--from-beginning', '-e'])).stdout)).toEqual(seq(5, 10));
    // Partition 1 untouched.
    expect(lines((await ok(['consume', 'dr', '-p', '1', '--from-beginning', '-e'])).stdout)).toEqual(seq(1, 5));
    const d = JSON.parse((await ok(['topics', 'describe', 'dr', '--json'])).stdout);
    expect(d.partitions.map((p: { earliest: number }) => p.earliest)).toEqual([4, 0]);
  }, 240_000);

  it('--before-timestamp resolves through ListOffsets: every older record goes', async () => {
    const input = [1000, 2000, 3000, 4000].map((ts) => JSON.stringify({ value: `at${ts}`, timestamp: ts })).join('\n');
    await ok(['produce', 'drt', '--format', 'json'], `${input}\n`);
    const r = await ok(['topics', 'delete-records', 'drt', '--before-timestamp', '2500', '--yes']);
    expect(lines(r.stdout)[1]).toMatch(/^drt\s+0\s+2\s+ok$/);
    expect(r.stderr).toMatch(/deleted records older than 1970-01-01T00:00:02\.500Z of drt/);
    expect(lines((await ok(['consume', 'drt', '--from-beginning', '-e'])).stdout)).toEqual(['at3000', 'at4000']);
    // A time after every record: all of them (the cut resolves to the end of the log).
    await ok(['topics', 'delete-records', 'drt', '--before-timestamp', '2030-01-01T00:00:00Z', '--yes']);
    expect(lines((await ok(['consume', 'drt', '--from-beginning', '-e'])).stdout)).toEqual([]);
  }, 240_000);

  it('bad input: each error names what was wrong, and nothing is deleted', async () => {
    await ok(['produce', 'drb', 'a', 'b', 'c']);
    const past = await kstream(['topics', 'delete-records', 'drb', '--before-offset', '99', '--yes']);
    expect(past.code).toBe(1);
    expect(past.stderr).toMatch(/^error: delete records of drb\[0\] before offset 99: OFFSET_OUT_OF_RANGE$/m);
    const noPartition = await kstream(['topics', 'delete-records', 'drb', '--before-offset', '1', '-p', '3', '--yes']);
    expect(noPartition.stderr).toMatch(/^error: partition 3 of topic "drb" does not exist \(it has 1\)/);
    const neither = await kstream(['topics', 'delete-records', 'drb', '--yes']);
    expect(neither.stderr).toMatch(/^error: say where to cut: --before-offset N \(or end\) or --before-timestamp/);
    const badOffset = await kstream(['topics', 'delete-records', 'drb', '--before-offset', 'soon', '--yes']);
    expect(badOffset.stderr).toMatch(/^error: --before-offset: "soon" is not an offset/);
    const missing = await kstream(['topics', 'delete-records', 'nope-dr', '--before-offset', '1', '--yes']);
    expect(missing.stderr).toMatch(/^error: topic "nope-dr" does not exist/);
    for (const r of [noPartition, neither, badOffset, missing]) expect(r.code).not.toBe(0);
    expect(lines((await ok(['consume', 'drb', '--from-beginning', '-e'])).stdout)).toEqual(['a', 'b', 'c']);
  }, 240_000);
});

describe('groups delete-offsets and describe --members / --state', () => {
  it('deletes one partition\'s offset; refused per partition while a member subscribes; members and state as Kafka prints them', async () => {
    await ok(['topics', 'create', 'go', '--partitions', '2']);
    await ok(['produce', 'go', '-p', '0', 'a', 'b']);
    await ok(['produce', 'go', '-p', '1', 'c']);
    await ok(['consume', 'go', '-g', 'gdo', '--from-beginning', '-e']);
    const before = JSON.parse((await ok(['groups', 'describe', 'gdo', '--json'])).stdout);
    expect(before.partitions.map((p: { partition: number; committed: number }) => [p.partition, p.committed])).toEqual([[0, 2], [1, 1]]);

    const del = await ok(['groups', 'delete-offsets', 'gdo', '--topic', 'go:0']);
    expect(lines(del.stdout)).toEqual(['TOPIC  PARTITION  STATUS', 'go             0  deleted']);
    const after = JSON.parse((await ok(['groups', 'describe', 'gdo', '--json'])).stdout);
    expect(after.partitions.map((p: { partition: number; committed: number }) => [p.partition, p.committed])).toEqual([[1, 1]]);

    const member = await activeMember('go', 'gdo', ['-X', 'client.id=cli2-member']);
    try {
      const refused = await kstream(['groups', 'delete-offsets', 'gdo', '--topic', 'go']);
      expect(refused.code).toBe(1);
      expect(lines(refused.stdout).slice(1).map((l) => l.split(/\s+/).slice(0, 3).join(' '))).toEqual(['go 0 error:', 'go 1 error:']);
      expect(refused.stdout).toContain('GROUP_SUBSCRIBED_TO_TOPIC');
      expect(refused.stderr).toMatch(/^error: 2 of 2 partition offsets not deleted: an active member of "gdo" is subscribed to "go"/);

      const members = await ok(['groups', 'describe', 'gdo', '--members', '--verbose']);
      const [head, row, ...rest] = lines(members.stdout);
      expect(head!.split(/\s{2,}/)).toEqual(['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']);
      expect(row!.split(/\s{2,}/)).toEqual(['gdo', expect.stringMatching(/^cli2-member-/), expect.stringMatching(/127\.0\.0\.1/), 'cli2-member', '2', 'go(0,1)']);
      expect(rest).toEqual([]);
      const mj = JSON.parse((await ok(['groups', 'describe', 'gdo', '--members', '--json'])).stdout);
      expect(mj.members).toHaveLength(1);
      expect(mj.members[0]).toMatchObject({ clientId: 'cli2-member', partitions: 2 });

      const state = await ok(['groups', 'describe', 'gdo', '--state']);
      const [sh, sr] = lines(state.stdout);
      expect(sh!.split(/\s{2,}/)).toEqual(['GROUP', 'COORDINATOR (ID)', 'ASSIGNMENT-STRATEGY', 'STATE', '#MEMBERS']);
      expect(sr).toMatch(new RegExp(`^gdo\\s+127\\.0\\.0\\.1:${broker.port}  \\(1\\)\\s+range\\s+Stable\\s+1$`));
    } finally {
      await member.stop();
    }
    // Without members the delete goes through.
    await ok(['groups', 'delete-offsets', 'gdo', '--topic', 'go']);
    expect(JSON.parse((await ok(['groups', 'describe', 'gdo', '--json'])).stdout).partitions).toEqual([]);
    const noMembers = await ok(['groups', 'describe', 'gdo', '--members']);
    expect(noMembers.stderr).toBe("Consumer group 'gdo' has no active members.\n");
  }, 300_000);

  it('errors name the group or topic', async () => {
    const nog = await kstream(['groups', 'delete-offsets', 'no-such-group', '--topic', 'go']);
    expect(nog.code).toBe(1);
    expect(nog.stderr).toMatch(/^error: group "no-such-group" does not exist: GROUP_ID_NOT_FOUND$/m);
    const noTopic = await kstream(['groups', 'delete-offsets', 'gdo', '--topic', 'no-such-topic']);
    expect(noTopic.stderr).toMatch(/^error: topic "no-such-topic" does not exist and group "gdo" has no offsets for it/);
    const noFlag = await kstream(['groups', 'delete-offsets', 'gdo']);
    expect(noFlag.code).toBe(2);
    expect(noFlag.stderr).toBe('error: --topic is required: the topic(s) whose offsets to delete (demo, demo:0, demo:0,2 or demo:0-3)\n');
  }, 240_000);
});

describe('brokers list, cluster describe', () => {
  it('show the broker, the controller and the cluster id kafkajs sees', async () => {
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const seen = await admin.describeCluster();
    await admin.disconnect();
    const list = await ok(['brokers', 'list']);
    const [head, row, ...more] = lines(list.stdout);
    expect(head!.split(/\s+/)).toEqual(['ID', 'HOST', 'PORT', 'RACK', 'CONTROLLER']);
    expect(row!.trim().split(/\s+/)).toEqual(['1', '127.0.0.1', String(broker.port), '-', 'yes']);
    expect(more).toEqual([]);
    const d = JSON.parse((await ok(['cluster', 'describe', '--json'])).stdout);
    expect(d).toEqual({
      clusterId: seen.clusterId,
      controller: seen.controller,
      brokers: [{ nodeId: 1, host: '127.0.0.1', port: broker.port, rack: null, isController: true }],
      // One node: every partition has its only replica, so none is under-replicated or offline.
      partitions: expect.any(Number),
      underReplicatedPartitions: [],
      offlinePartitions: [],
    });
    const text = await ok(['cluster', 'describe']);
    expect(lines(text.stdout).slice(0, 3)).toEqual([`Cluster id: ${seen.clusterId}`, `Controller: 1 (127.0.0.1:${broker.port})`, 'Brokers: 1']);
  }, 240_000);
});

describe('configs get / set / delete', () => {
  it('broker dynamic configs: set, read back (also by kafkajs), delete; a static-only setting is refused with the broker\'s reason', async () => {
    const none = await ok(['configs', 'get', '--broker']);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^no configs set on broker 1 itself \(--all lists every setting\)$/m);
    await ok(['configs', 'set', '--broker', '1', 'log.retention.ms=3600000']);
    const got = JSON.parse((await ok(['configs', 'get', '--broker', '--json'])).stdout);
    expect(got).toEqual([{ name: 'log.retention.ms', value: '3600000', source: 'DYNAMIC_BROKER_CONFIG', isDefault: false, readOnly: false, sensitive: false }]);

    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    try {
      const res = await admin.describeConfigs({ resources: [{ type: 4, name: '1', configNames: ['log.retention.ms'] }], includeSynonyms: false });
      expect(res.resources[0]!.configEntries.find((e) => e.configName === 'log.retention.ms')?.configValue).toBe('3600000');

      const keys = await ok(['configs', 'get', '--broker', '1', 'log.retention.ms', 'message.max.bytes']);
      expect(lines(keys.stdout).slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
        ['log.retention.ms', '3600000', 'DYNAMIC_BROKER_CONFIG'],
        ['message.max.bytes', '1048588', 'DEFAULT_CONFIG'],
      ]);
      const all = JSON.parse((await ok(['configs', 'get', '--broker', '--all', '--json'])).stdout);
      expect(all.length).toBeGreaterThan(20);

      const refused = await kstream(['configs', 'set', '--broker', '1', 'log.retention.hours=5']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toBe('error: alter configs of broker 1: INVALID_REQUEST (Cannot update these configs dynamically: Set(log.retention.hours))\n');

      await ok(['configs', 'delete', '--broker', 'log.retention.ms']);
      const back = await admin.describeConfigs({ resources: [{ type: 4, name: '1', configNames: ['log.retention.ms'] }], includeSynonyms: false });
      expect(back.resources[0]!.configEntries.find((e) => e.configName === 'log.retention.ms')?.configSource).not.toBe(2);

      // The cluster-wide layer (kafka-configs --entity-default).
      await ok(['configs', 'set', '--broker', 'default', 'log.retention.ms=7200000']);
      const def = JSON.parse((await ok(['configs', 'get', '--broker', 'default', '--json'])).stdout);
      expect(def.map((c: { name: string; value: string; source: string }) => [c.name, c.value, c.source])).toEqual([['log.retention.ms', '7200000', 'DYNAMIC_DEFAULT_BROKER_CONFIG']]);
      await ok(['configs', 'delete', '--broker', 'default', 'log.retention.ms']);
      expect(JSON.parse((await ok(['configs', 'get', '--broker', 'default', '--json'])).stdout)).toEqual([]);
    } finally {
      await admin.disconnect();
    }
  }, 240_000);

  it('topic configs and bad targets', async () => {
    await ok(['topics', 'create', 'cfg']);
    await ok(['configs', 'set', '--topic', 'cfg', 'retention.ms=1000000', 'cleanup.policy=compact']);
    const got = JSON.parse((await ok(['configs', 'get', '--topic', 'cfg', '--json'])).stdout);
    expect(got.map((c: { name: string; value: string }) => [c.name, c.value])).toEqual([['cleanup.policy', 'compact'], ['retention.ms', '1000000']]);
    await ok(['configs', 'delete', '--topic', 'cfg', 'cleanup.policy']);
    expect(JSON.parse((await ok(['configs', 'get', '--topic', 'cfg', '--json'])).stdout).map((c: { name: string }) => c.name)).toEqual(['retention.ms']);

    const cases: Array<[string[], RegExp]> = [
      [['configs', 'get', '--topic', 'no-such'], /^error: topic "no-such" does not exist: UNKNOWN_TOPIC_OR_PARTITION$/],
      [['configs', 'get'], /^error: say whose configs: --broker \[ID\] or --topic NAME$/],
      [['configs', 'get', '--broker', '7'], /^error: broker 7 is not in the cluster \(brokers: 1\)$/],
      [['configs', 'get', '--topic', 'cfg', 'no.such.config'], /^error: topic "cfg" has no config "no.such.config"$/],
      [['configs', 'set', '--topic', 'cfg', 'retention.ms'], /^error: configs set: "retention.ms" is not key=value/],
      [['configs', 'delete', '--topic', 'cfg', 'retention.ms=1'], /^error: configs delete: "retention.ms=1" looks like KEY=VALUE/],
      [['configs', 'set', '--topic', 'cfg', 'retention.ms=soon'], /^error: alter configs of topic "cfg": INVALID_CONFIG/],
    ];
    for (const [args, expected] of cases) {
      const r = await kstream(args);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr.trimEnd(), args.join(' ')).toMatch(expected);
    }
    // Nothing half-applied by the refused set.
    expect(JSON.parse((await ok(['configs', 'get', '--topic', 'cfg', '--json'])).stdout).map((c: { value: string }) => c.value)).toEqual(['1000000']);
  }, 240_000);
});
