/** Broker settings: Kafka names and defaults, properties files, and errors that name the key. */
import { describe, expect, it } from 'vitest';
import { BrokerConfig, buildConfig, ConfigError, parseProperties } from '../../src/broker/config.ts';
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
    expect(c.explicitProperties()).toEqual({});
    // Settings Kafka leaves unset show as null, not as their sentinel.
    const shown = Object.fromEntries(c.describe().map((d) => [d.name, d.value]));
    expect(shown['log.retention.ms']).toBeNull();
    expect(shown['log.retention.hours']).toBe('168');
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
    expect(c.explicitProperties()).toMatchObject({ 'num.partitions': '5', 'log.retention.hours': '24' });
  });

  it('rejects unknown keys and bad values with a message naming them', () => {
    expect(() => buildConfig({ assignments: ['log.retention.hourz=1'] })).toThrow(/unknown broker setting "log\.retention\.hourz"/);
    expect(() => buildConfig({ assignments: ['num.partitions=0'] })).toThrow(/num\.partitions: 0 is below the minimum 1/);
    expect(() => buildConfig({ assignments: ['auto.create.topics.enable=yes'] })).toThrow(/expected true or false/);
    expect(() => buildConfig({ assignments: ['log.fsync=sometimes'] })).toThrow(/log\.fsync: expected one of always, interval, never/);
    expect(() => buildConfig({ assignments: ['message.max.bytes=99999999999'] })).toThrow(/too large/);
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
});
