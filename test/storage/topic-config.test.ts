import { describe, expect, it } from 'vitest';
import { messageFormatVersionWarning } from '../../src/config/topic-settings.ts';
import { parseLogConfig, TOPIC_CONFIGS, topicConfigDef, topicDefaultsFromBrokerProperties, validateTopicConfig } from '../../src/storage/topic-config.ts';
import { ErrorCode } from '../../src/protocol/error-codes.ts';

describe('topic configs', () => {
  it('maps broker properties to topic defaults with Kafka precedence (ms > minutes > hours)', () => {
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2' })).toEqual({ 'retention.ms': '7200000' });
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2', 'log.retention.minutes': '3' })).toEqual({ 'retention.ms': '180000' });
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2', 'log.retention.ms': '5' })['retention.ms']).toBe('5');
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '-1' })['retention.ms']).toBe('-1');
    // Kafka: any negative retention is "forever" (-1), whichever unit it was given in.
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.ms': '-2', 'log.retention.hours': '1' })['retention.ms']).toBe('-1');
    expect(topicDefaultsFromBrokerProperties({ 'log.roll.hours': '1', 'log.segment.bytes': '1000', 'message.max.bytes': '99', 'num.partitions': '3' })).toEqual({
      'segment.ms': '3600000',
      'segment.bytes': '1000',
      'max.message.bytes': '99',
    });
    expect(topicDefaultsFromBrokerProperties({ 'log.flush.interval.ms': '-1', 'log.flush.interval.messages': '10' })).toEqual({ 'flush.messages': '10' });
    expect(() => topicDefaultsFromBrokerProperties({ 'log.segment.bytes': 'big' })).toThrow(/segment.bytes/);
  });

  it('validates types and ranges with INVALID_CONFIG (40)', () => {
    expect(() => validateTopicConfig('retention.ms', '-1')).not.toThrow();
    expect(() => validateTopicConfig('retention.ms', '-5')).toThrow(expect.objectContaining({ errorCode: ErrorCode.INVALID_CONFIG }));
    expect(() => validateTopicConfig('segment.bytes', '3000000000')).toThrow(/Not a number of type INT/);
    expect(() => validateTopicConfig('segment.bytes', '10')).toThrow('Invalid value 10 for configuration segment.bytes: Value must be at least 14');
    expect(() => validateTopicConfig('preallocate', 'yes')).toThrow(/true or false/);
    expect(() => validateTopicConfig('min.cleanable.dirty.ratio', '2')).toThrow(/no more than 1/);
    expect(() => validateTopicConfig('cleanup.policy', 'shred')).toThrow(/String must be one of: compact, delete/);
    expect(() => validateTopicConfig('cleanup.policy', 'compact,delete')).not.toThrow();
    expect(() => validateTopicConfig('message.timestamp.type', 'LogAppendTime')).not.toThrow();
    expect(() => validateTopicConfig('bogus', '1')).toThrow(/Unknown topic config/);
  });

  it('parses the effective config storage uses; Long.MAX means never', () => {
    const c = parseLogConfig({ 'message.timestamp.type': 'LogAppendTime', 'cleanup.policy': 'compact, delete' });
    expect(c.logAppendTime).toBe(true);
    expect(c.cleanupPolicy).toEqual(['compact', 'delete']);
    expect(c.segmentBytes).toBe(1073741824);
    expect(c.retentionMs).toBe(604800000);
    expect(c.flushMessages).toBe(Number.POSITIVE_INFINITY);
  });

  it('accepts every Kafka 3.9 topic config, message.format.version with Kafka\'s version strings', () => {
    for (const name of ['leader.replication.throttled.replicas', 'follower.replication.throttled.replicas', 'message.downconversion.enable', 'remote.storage.enable', 'local.retention.ms', 'local.retention.bytes', 'compression.zstd.level', 'remote.log.copy.disable', 'remote.log.delete.on.disable']) {
      expect(TOPIC_CONFIGS.map((d) => d.name)).toContain(name);
    }
    expect(TOPIC_CONFIGS.length).toBe(36);
    for (const v of ['0.10.0', '0.10.0-IV1', '2.8', '2.8.1', '3.0-IV1', '3.9', '0.8.2']) expect(() => validateTopicConfig('message.format.version', v)).not.toThrow();
    expect(() => validateTopicConfig('message.format.version', '9.9')).toThrow('Invalid value 9.9 for configuration message.format.version: Version 9.9 is not a valid version');
    expect(() => validateTopicConfig('leader.replication.throttled.replicas', '0:1,1:1')).not.toThrow();
    expect(() => validateTopicConfig('leader.replication.throttled.replicas', '*')).not.toThrow();
    expect(() => validateTopicConfig('leader.replication.throttled.replicas', 'all')).toThrow(/PartitionId/);
    expect(() => validateTopicConfig('local.retention.ms', '-3')).toThrow(/at least -2/);
    expect(() => validateTopicConfig('compression.gzip.level', '0')).toThrow(/between 1 and 9 or equal to -1/);
    expect(messageFormatVersionWarning('t', '0.10.0')).toMatch(/^Topic configuration message\.format\.version with value `0\.10\.0` is ignored for `t`/);
    expect(messageFormatVersionWarning('t', '3.0')).toBeNull();
    // Kafka's documentation travels with each config.
    expect(topicConfigDef('retention.ms')!.doc).toMatch(/^This configuration controls the maximum time we will retain a log/);
  });
});
