import { describe, expect, it } from 'vitest';
import { parseLogConfig, topicDefaultsFromBrokerProperties, validateTopicConfig } from '../../src/storage/topic-config.ts';

describe('topic configs', () => {
  it('maps broker properties to topic defaults with Kafka precedence (ms > minutes > hours)', () => {
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2' })).toEqual({ 'retention.ms': '7200000' });
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2', 'log.retention.minutes': '3' })).toEqual({ 'retention.ms': '180000' });
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '2', 'log.retention.ms': '5' })['retention.ms']).toBe('5');
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.hours': '-1' })['retention.ms']).toBe('-1');
    expect(topicDefaultsFromBrokerProperties({ 'log.retention.ms': '-2', 'log.retention.hours': '1' })['retention.ms']).toBe('3600000');
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
    expect(() => validateTopicConfig('retention.ms', '-5')).toThrow(expect.objectContaining({ errorCode: 40 }));
    expect(() => validateTopicConfig('segment.bytes', '3000000000')).toThrow(/out of range/);
    expect(() => validateTopicConfig('segment.bytes', '10')).toThrow(/at least 14/);
    expect(() => validateTopicConfig('preallocate', 'yes')).toThrow(/true or false/);
    expect(() => validateTopicConfig('min.cleanable.dirty.ratio', '2')).toThrow(/between 0 and 1/);
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
});
