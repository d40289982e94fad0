/** Broker settings: Kafka names and defaults, properties files, and errors that name the key. */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, buildConfig, ConfigError, ignoredSettingsWarning, parseProperties, type DynamicConfigSnapshot } from '../../src/broker/config.ts';
import { BROKER_SETTINGS } from '../../src/config/broker-settings.ts';
import { TOPIC_SETTINGS } from '../../src/config/topic-settings.ts';
import { defaultDataDir } from '../../src/broker/data-dir.ts';

describe('broker config', () => {
  it('has Kafka\'s defaults', () => {
    const c = new BrokerConfig();
    expect(c.number('log.retention.hours')).toBe(168);
    expect(c.number('log.retention.bytes')).toBe(-1);
    expect(c.number('log.segment.bytes')).toBe(1073741824);
    expect(c.number('num.partitions')).toBe(1);
    expect(c.boolean('auto.create.topics.enable')).toBe(true);
    expect(c.number('message.max.bytes')).toBe(1048588);
    expect(c.number('socket.request.max.bytes')).toBe(104857600);
    expect(c.number('group.initial.rebalance.delay.ms')).toBe(3000);
    expect(c.retentionMs()).toBe(168 * 3_600_000);
    expect(c.explicit.size).toBe(0);
    expect(c.topicDefaults()).toEqual({});
    // Settings Kafka leaves unset resolve to null, not to a sentinel.
    expect(c.resolve('log.retention.ms')).toEqual({ value: null, source: 'DEFAULT_CONFIG' });
    expect(c.resolve('log.retention.hours')).toEqual({ value: '168', source: 'DEFAULT_CONFIG' });
  });

  it('resolves retention ms > minutes > hours like Kafka', () => {
    expect(buildConfig({ assignments: ['log.retention.hours=1'] }).retentionMs()).toBe(3_600_000);
    expect(buildConfig({ assignments: ['log.retention.hours=1', 'log.retention.minutes=2'] }).retentionMs()).toBe(120_000);
    expect(buildConfig({ assignments: ['log.retention.minutes=2', 'log.retention.ms=5'] }).retentionMs()).toBe(5);
    expect(buildConfig({ assignments: ['log.retention.ms=-1'] }).retentionMs()).toBe(-1);
  });

  it('parses properties files: comments, separators, continuations; flags override the file', () => {
    const text = '# comment\n! also a comment\nnum.partitions=3\nlog.retention.hours : 24\nauto.create.topics.enable false\nlog.cleanup.policy=del\\\n  ete\n';
    expect(parseProperties(text)).toEqual({ 'num.partitions': '3', 'log.retention.hours': '24', 'auto.create.topics.enable': 'false', 'log.cleanup.policy': 'delete' });
    const c = buildConfig({ fileText: text, assignments: ['num.partitions=5'] });
    expect(c.number('num.partitions')).toBe(5);
    expect(c.boolean('auto.create.topics.enable')).toBe(false);
    expect(c.resolve('num.partitions')).toEqual({ value: '5', source: 'STATIC_BROKER_CONFIG' });
    expect(c.topicDefaults()).toEqual({ 'retention.ms': String(24 * 3_600_000), 'cleanup.policy': 'delete' });
  });

  it('rejects unknown keys and bad values with a message naming them', () => {
    expect(() => buildConfig({ assignments: ['log.retention.hourz=1'] })).toThrow(/unknown broker setting "log\.retention\.hourz"/);
    expect(() => buildConfig({ assignments: ['num.partitions=0'] })).toThrow('Invalid value 0 for configuration num.partitions: Value must be at least 1');
    expect(() => buildConfig({ assignments: ['auto.create.topics.enable=yes'] })).toThrow(/auto\.create\.topics\.enable: Expected value to be either true or false/);
    expect(() => buildConfig({ assignments: ['log.fsync=sometimes'] })).toThrow(/log\.fsync: String must be one of: always, interval, never/);
    expect(() => buildConfig({ assignments: ['message.max.bytes=99999999999'] })).toThrow(/message\.max\.bytes: Not a number of type INT/);
    expect(() => buildConfig({ assignments: ['novalue'] })).toThrow(ConfigError);
  });

  it('understands Kafka server.properties names: broker.id, listeners, log.dirs; ignores cluster-only ones', () => {
    const c = buildConfig({ fileText: 'broker.id=7\nlisteners=PLAINTEXT://:9092,CONTROLLER://:9093\nlog.dirs=/data/a,/data/b\nzookeeper.connect=zk:2181\n' });
    expect(c.number('node.id')).toBe(7);
    expect(c.listener('listeners')).toEqual({ host: '', port: 9092 });
    expect(c.listener('advertised.listeners')).toBeNull();
    expect(c.dataDir()).toBe('/data/a');
    expect(c.ignored).toEqual(['zookeeper.connect']);
    expect(buildConfig({ assignments: ['listeners=PLAINTEXT://[::1]:19092'] }).listener('listeners')).toEqual({ host: '::1', port: 19092 });
    expect(() => buildConfig({ assignments: ['listeners=localhost:9092'] })).toThrow(/expected NAME:\/\/host:port/);
    expect(() => buildConfig({ assignments: ['listeners=INTERNAL://h:9092'] })).toThrow(/listener INTERNAL has no security protocol/);
  });

  it('default data dir: $KSTREAM_DATA_DIR, else XDG data home, else ~/.local/share', () => {
    expect(defaultDataDir({ KSTREAM_DATA_DIR: '/data/k' })).toBe('/data/k');
    expect(defaultDataDir({ XDG_DATA_HOME: '/xdg' })).toBe('/xdg/kstream');
    expect(defaultDataDir({ HOME: '/home/u' })).toMatch(/\.local\/share\/kstream$/);
  });

  it('names every given setting that does nothing here, with the reason from the settings table', () => {
    const c = buildConfig({ assignments: ['offsets.topic.replication.factor=1', 'default.replication.factor=3', 'num.partitions=2', 'log.preallocate=true'] });
    expect(c.ignored).toEqual(['offsets.topic.replication.factor', 'default.replication.factor', 'log.preallocate']);
    const w = ignoredSettingsWarning(c)!;
    expect(w).toMatch(/^ignoring Kafka settings that do not apply to a single node: offsets\.topic\.replication\.factor, default\.replication\.factor, log\.preallocate \(/);
    expect(w).toContain('offsets.topic.replication.factor: a single node has no replicas');
    expect(w).toContain('default.replication.factor: one node holds one replica');
    expect(w).not.toMatch(/(: |, )num\.partitions\b/);
    expect(ignoredSettingsWarning(buildConfig({ assignments: ['num.partitions=2'] }))).toBeNull();
  });

  it('defines every setting once; every broker synonym of a topic config is a broker setting', () => {
    const names = BROKER_SETTINGS.map((d) => d.name);
    expect(new Set(names).size).toBe(names.length);
    for (const t of TOPIC_SETTINGS) for (const s of t.brokerSynonyms) expect(names, `${t.name} ← ${s.name}`).toContain(s.name);
    // Kafka: log.retention.ms is dynamic, log.retention.hours is not; message.max.bytes and log.cleaner.* are.
    const dynamic = new Set(BROKER_SETTINGS.filter((d) => d.dynamic).map((d) => d.name));
    expect([...dynamic]).toEqual(expect.arrayContaining(['log.retention.ms', 'log.retention.bytes', 'message.max.bytes', 'log.cleaner.threads', 'log.cleaner.delete.retention.ms', 'log.cleanup.policy']));
    expect(dynamic.has('log.retention.hours')).toBe(false);
    expect(dynamic.has('num.partitions')).toBe(false);
  });

  it('dynamic layers: per-broker over cluster-wide over static over default; only dynamic settings; persisted before applied', async () => {
    const c = buildConfig({ assignments: ['log.retention.hours=24', 'message.max.bytes=2000'] });
    const persisted: DynamicConfigSnapshot[] = [];
    let applied = 0;
    c.bindDynamic({ persist: async (s) => void persisted.push(s), applied: () => void applied++ });
    await c.alterDynamic('cluster', { 'log.retention.ms': '5000', 'message.max.bytes': '3000' });
    await c.alterDynamic('broker', { 'message.max.bytes': '4000' });
    expect(c.resolve('message.max.bytes')).toEqual({ value: '4000', source: 'DYNAMIC_BROKER_CONFIG' });
    expect(c.layers('message.max.bytes').map(([s]) => s)).toEqual(['DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG']);
    expect(c.number('message.max.bytes')).toBe(4000);
    expect(c.retentionMs()).toBe(5000);
    expect(c.topicDefaults()).toMatchObject({ 'retention.ms': '5000', 'max.message.bytes': '4000' });
    expect(persisted.at(-1)).toEqual({ cluster: { 'log.retention.ms': '5000', 'message.max.bytes': '3000' }, broker: { 'message.max.bytes': '4000' } });
    expect(applied).toBe(2);

    await expect(c.alterDynamic('cluster', { 'log.retention.hours': '1' })).rejects.toThrow('Cannot update these configs dynamically: Set(log.retention.hours)');
    await expect(c.alterDynamic('cluster', { 'log.retention.bogus': '1' })).rejects.toThrow(/Unknown broker config: log\.retention\.bogus/);
    await expect(c.alterDynamic('cluster', { 'log.retention.ms': 'soon' })).rejects.toThrow(/Invalid value soon for configuration log\.retention\.ms/);
    await c.alterDynamic('cluster', { 'log.retention.ms': '1' }, { validateOnly: true });
    expect(persisted.length).toBe(2);
    expect(c.retentionMs()).toBe(5000);

    // A failed persist changes nothing.
    c.bindDynamic({ persist: async () => { throw new Error('disk full'); }, applied: () => void applied++ });
    await expect(c.alterDynamic('broker', {})).rejects.toThrow('disk full');
    expect(c.number('message.max.bytes')).toBe(4000);

    // Reloaded at start-up; stale entries are dropped with a message, not fatal.
    const fresh = buildConfig();
    expect(fresh.loadDynamic({ cluster: { 'log.retention.ms': '7', 'num.partitions': '3' }, broker: {} })).toEqual([
      expect.stringContaining('num.partitions'),
    ]);
    expect(fresh.retentionMs()).toBe(7);
  });

  it('concurrent incremental changes are applied one after the other, none lost', async () => {
    const c = buildConfig();
    const slowDisk: (() => void)[] = [];
    c.bindDynamic({ persist: () => new Promise<void>((resolve) => slowDisk.push(resolve)), applied: () => {} });
    const a = c.alterDynamic('cluster', (cur) => ({ ...cur, 'log.retention.ms': '1000' }));
    const b = c.alterDynamic('cluster', (cur) => ({ ...cur, 'message.max.bytes': '2000' }));
    while (slowDisk.length < 1) await new Promise((r) => setImmediate(r));
    slowDisk.shift()!();
    await a;
    while (slowDisk.length < 1) await new Promise((r) => setImmediate(r));
    slowDisk.shift()!();
    await b;
    expect(c.dynamic('cluster')).toEqual({ 'log.retention.ms': '1000', 'message.max.bytes': '2000' });
  });
});
