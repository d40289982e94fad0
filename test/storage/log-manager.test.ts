import { describe, expect, it } from 'vitest';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { topicDefaultsFromBrokerProperties } from '../../src/storage/topic-config.ts';
import { useLogManagers } from './log-manager-harness.ts';
import { batchOf, listBatches } from './helpers.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

const env = useLogManagers();
const open = (config = {}) => env.open({ config });

describe('LogManager topics', () => {
  it('creates, lists, persists and reopens topics with ids, partition counts, configs and data', async () => {
    const m = await open();
    const t = await m.createTopic('orders', { partitions: 3, configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' } });
    expect(t.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(t.partitionCount).toBe(3);
    await m.createTopic('__consumer_offsets', { partitions: 2 });
    await m.partition('orders', 2)!.append(batchOf(4, env.clock), { logAppendTime: false });
    await m.partition('__consumer_offsets', 1)!.append(batchOf(1, env.clock), { logAppendTime: false });
    expect(m.listTopics().map((x) => x.name).sort()).toEqual(['__consumer_offsets', 'orders']);
    expect(m.getTopic('__consumer_offsets')!.internal).toBe(true);
    await m.close();
    expect((await stat(join(env.dir, '.kafka_cleanshutdown'))).isFile()).toBe(true);
    const pm = await readFile(join(env.dir, 'orders-1', 'partition.metadata'), 'utf8');
    expect(pm).toBe(`version: 0\ntopic_id: ${t.topicId}\n`);

    const m2 = await open();
    expect(m2.cleanShutdown).toBe(true);
    const t2 = m2.getTopic('orders')!;
    expect(t2).toEqual({ name: 'orders', topicId: t.topicId, partitionCount: 3, configs: { 'retention.ms': '1000', 'cleanup.policy': 'compact' }, internal: false });
    expect(m2.getTopicById(t.topicId)!.name).toBe('orders');
    const log = m2.partition('orders', 2)!;
    expect(log.logEndOffset).toBe(4);
    expect(log.highWatermark).toBe(4);
    const r = await log.append(batchOf(2, env.clock), { logAppendTime: false });
    expect(r.baseOffset).toBe(4);
    expect(listBatches((await log.read(0, 1 << 20)).records).map((b) => b.baseOffset)).toEqual([0, 4]);
    expect(m2.partition('__consumer_offsets', 1)!.logEndOffset).toBe(1);
    expect(m2.effectiveConfig('orders')['retention.ms']).toBe('1000');
    expect(m2.effectiveConfig('orders')['segment.bytes']).toBe('1073741824');
  });

  it('validates topic names, partitions and configs with Kafka error codes', async () => {
    const m = await open();
    for (const bad of ['', '.', '..', 'a b', 'ü', 'x/y', 'a'.repeat(250)]) {
      await expect(m.createTopic(bad, { partitions: 1 })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    }
    await m.createTopic('a'.repeat(249), { partitions: 1 });
    await m.createTopic('ok.name_1-x', { partitions: 1 });
    await expect(m.createTopic('ok.name_1-x', { partitions: 1 })).rejects.toMatchObject({ errorCode: ErrorCode.TOPIC_ALREADY_EXISTS });
    await expect(m.createTopic('ok_name_1-x', { partitions: 1 })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION });
    await expect(m.createTopic('p0', { partitions: 0 })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
    await expect(m.createTopic('huge', { partitions: 2 ** 31 - 1 })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS }); // bounded, not a hang
    await expect(m.createTopic('c1', { partitions: 1, configs: { 'no.such': '1' } })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    await expect(m.createTopic('c2', { partitions: 1, configs: { 'retention.ms': 'soon' } })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    await expect(m.createTopic('c3', { partitions: 1, configs: { 'cleanup.policy': 'shred' } })).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    const v = await m.createTopic('vo', { partitions: 2, validateOnly: true });
    expect(v.partitionCount).toBe(2);
    expect(m.getTopic('vo')).toBeUndefined();
  });

  it('deletes topics (files gone, survives restart) and grows partitions', async () => {
    const m = await open();
    await m.createTopic('gone', { partitions: 2 });
    await m.partition('gone', 0)!.append(batchOf(1, env.clock), { logAppendTime: false });
    await m.createTopic('grow', { partitions: 1 });
    await m.deleteTopic('gone');
    expect(m.getTopic('gone')).toBeUndefined();
    expect((await readdir(env.dir)).filter((n) => n.startsWith('gone'))).toEqual([]);
    await expect(m.deleteTopic('gone')).rejects.toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
    await expect(m.createPartitions('grow', 1)).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_PARTITIONS });
    await m.createPartitions('grow', 4);
    await m.partition('grow', 3)!.append(batchOf(1, env.clock), { logAppendTime: false });
    await m.close();
    const m2 = await open();
    expect(m2.getTopic('gone')).toBeUndefined();
    expect(m2.getTopic('grow')!.partitionCount).toBe(4);
    expect(m2.partition('grow', 3)!.logEndOffset).toBe(1);
    // A recreated topic gets a fresh id and empty log.
    const again = await m2.createTopic('gone', { partitions: 1 });
    expect(m2.partition('gone', 0)!.logEndOffset).toBe(0);
    expect(again.topicId).not.toBe(undefined);
  });

  it('alters configs incrementally and describes sources', async () => {
    const m = await open({ topicDefaults: topicDefaultsFromBrokerProperties({ 'log.retention.hours': '24', 'log.segment.bytes': '5000' }) });
    await m.createTopic('c', { partitions: 1, configs: { 'retention.ms': '5000' } });
    expect(m.effectiveConfig('c')['segment.bytes']).toBe('5000');
    let d = m.describeTopicConfigs('c');
    expect(d.find((e) => e.name === 'retention.ms')).toMatchObject({ value: '5000', source: 'DYNAMIC_TOPIC_CONFIG', sourceCode: 1, isDefault: false });
    expect(d.find((e) => e.name === 'segment.bytes')).toMatchObject({ value: '5000', source: 'STATIC_BROKER_CONFIG', sourceCode: 4 });
    expect(d.find((e) => e.name === 'max.message.bytes')).toMatchObject({ value: '1048588', source: 'DEFAULT_CONFIG', sourceCode: 5, isDefault: true, typeCode: 3 });
    await m.alterTopicConfigs('c', [
      { name: 'retention.ms', op: 'delete' },
      { name: 'cleanup.policy', op: 'append', value: 'compact' },
      { name: 'max.message.bytes', op: 'set', value: '100' },
    ]);
    expect(m.getTopic('c')!.configs).toEqual({ 'cleanup.policy': 'delete,compact', 'max.message.bytes': '100' });
    expect(m.effectiveConfig('c')['retention.ms']).toBe('86400000');
    await expect(m.partition('c', 0)!.append(batchOf(5, env.clock, 'big', 50), { logAppendTime: false })).rejects.toMatchObject({ errorCode: ErrorCode.MESSAGE_TOO_LARGE });
    await expect(m.alterTopicConfigs('c', [{ name: 'segment.ms', op: 'set', value: 'x' }])).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    await expect(m.alterTopicConfigs('c', [{ name: 'segment.ms', op: 'append', value: '1' }])).rejects.toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG });
    await m.alterTopicConfigs('c', [{ name: 'segment.ms', op: 'set', value: '1000' }], { validateOnly: true });
    expect(m.getTopic('c')!.configs['segment.ms']).toBeUndefined();
    await m.replaceTopicConfigs('c', { 'retention.bytes': '10' });
    expect(m.getTopic('c')!.configs).toEqual({ 'retention.bytes': '10' });
    await m.close();
    const m2 = await open();
    expect(m2.getTopic('c')!.configs).toEqual({ 'retention.bytes': '10' });
    d = m2.describeTopicConfigs('c');
    expect(d.find((e) => e.name === 'retention.bytes')!.value).toBe('10');
  });

  it('keeps one file descriptor per partition (the active segment), however many segments', async () => {
    const fds = async () => (await readdir('/proc/self/fd')).length;
    const m = await open();
    await m.createTopic('many', { partitions: 2, configs: { 'segment.bytes': '500' } });
    for (let i = 0; i < 40; i++) await m.partition('many', i % 2)!.append(batchOf(1, env.clock, `f${i}`, 200), { logAppendTime: false });
    expect(m.partition('many', 0)!.segmentList.length).toBeGreaterThan(10);
    await m.close();
    const before = await fds();
    const m2 = await open();
    expect((await fds()) - before).toBeLessThanOrEqual(2);
    const log = m2.partition('many', 0)!;
    for (let o = 0; o < log.logEndOffset; o++) await log.read(o, 1000);
    expect((await fds()) - before).toBeLessThanOrEqual(2);
    await m2.close();
    expect(await fds()).toBe(before);
  });
});


describe('data directory lock', () => {
  it('refuses a directory held by another live process, accepts one left by a dead process', async () => {
    const { spawn } = await import('node:child_process');
    const { writeFile } = await import('node:fs/promises');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      await writeFile(join(env.dir, '.lock'), `${child.pid}\n`);
      await expect(env.open()).rejects.toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message: expect.stringMatching(/in use by another kstream process/) });
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
      const m = await open();
      expect(m.listTopics()).toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
