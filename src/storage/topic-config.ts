import { InvalidConfigError } from './errors.ts';

/**
 * Kafka's topic-level configs: name, type, default, the broker setting that supplies the default
 * (its "synonym"), and validation. Values are kept as strings, like Kafka's config maps; storage reads
 * the parsed LogConfig. cleanup.policy=compact is carried out by log-cleaner.ts.
 */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

/** DescribeConfigs v3+ configType codes. */
export const CONFIG_TYPE_CODE: Record<ConfigType, number> = {
  BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9,
};

/** DescribeConfigs configSource codes. */
export const CONFIG_SOURCE = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
} as const;
export type ConfigSourceName = keyof typeof CONFIG_SOURCE;

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  /** Kafka's built-in default, as a string. */
  default: string;
  /** The broker-level property that overrides the default for all topics (e.g. log.retention.ms). */
  brokerSynonym: string | null;
  doc: string;
  /** Extra validation beyond the type; returns an error message or null. */
  check?: (value: string) => string | null;
}

const LONG_MAX = '9223372036854775807';
const atLeast = (min: number) => (v: string): string | null => (Number(v) < min ? `must be at least ${min}` : null);
const oneOf = (...allowed: string[]) => (v: string): string | null =>
  allowed.includes(v) ? null : `must be one of ${allowed.join(', ')}`;
const listOf = (...allowed: string[]) => (v: string): string | null => {
  const items = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) return `must be a non-empty list of ${allowed.join(', ')}`;
  for (const i of items) if (!allowed.includes(i)) return `'${i}' is not one of ${allowed.join(', ')}`;
  return null;
};

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: 'cleanup.policy', type: 'LIST', default: 'delete', brokerSynonym: 'log.cleanup.policy', doc: 'delete (time/size retention) and/or compact (keep the latest record per key)', check: listOf('delete', 'compact') },
  { name: 'compression.type', type: 'STRING', default: 'producer', brokerSynonym: 'compression.type', doc: 'Final compression of stored batches; kstream stores batches as the producer sent them', check: oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer') },
  { name: 'delete.retention.ms', type: 'LONG', default: '86400000', brokerSynonym: 'log.cleaner.delete.retention.ms', doc: 'How long delete tombstones are kept (compaction)', check: atLeast(0) },
  { name: 'file.delete.delay.ms', type: 'LONG', default: '60000', brokerSynonym: 'log.segment.delete.delay.ms', doc: 'Delay before deleting a file from the filesystem', check: atLeast(0) },
  { name: 'flush.messages', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.flush.interval.messages', doc: 'Force an fsync after this many messages (fsync mode interval)', check: atLeast(1) },
  { name: 'flush.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.flush.interval.ms', doc: 'Force an fsync after this many ms (fsync mode interval)', check: atLeast(0) },
  { name: 'index.interval.bytes', type: 'INT', default: '4096', brokerSynonym: 'log.index.interval.bytes', doc: 'Bytes of log between offset index entries', check: atLeast(0) },
  { name: 'max.compaction.lag.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.cleaner.max.compaction.lag.ms', doc: 'Maximum time a message remains uncompacted', check: atLeast(1) },
  { name: 'max.message.bytes', type: 'INT', default: '1048588', brokerSynonym: 'message.max.bytes', doc: 'Largest record batch size allowed', check: atLeast(0) },
  { name: 'message.downconversion.enable', type: 'BOOLEAN', default: 'true', brokerSynonym: 'log.message.downconversion.enable', doc: 'Whether down-conversion is enabled (kstream never down-converts)' },
  { name: 'message.timestamp.after.max.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.after.max.ms', doc: 'Allowed future skew of CreateTime timestamps', check: atLeast(0) },
  { name: 'message.timestamp.before.max.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.before.max.ms', doc: 'Allowed past skew of CreateTime timestamps', check: atLeast(0) },
  { name: 'message.timestamp.difference.max.ms', type: 'LONG', default: LONG_MAX, brokerSynonym: 'log.message.timestamp.difference.max.ms', doc: 'Deprecated: allowed timestamp skew', check: atLeast(0) },
  { name: 'message.timestamp.type', type: 'STRING', default: 'CreateTime', brokerSynonym: 'log.message.timestamp.type', doc: 'CreateTime or LogAppendTime', check: oneOf('CreateTime', 'LogAppendTime') },
  { name: 'min.cleanable.dirty.ratio', type: 'DOUBLE', default: '0.5', brokerSynonym: 'log.cleaner.min.cleanable.ratio', doc: 'Compaction trigger ratio', check: (v) => (Number(v) < 0 || Number(v) > 1 ? 'must be between 0 and 1' : null) },
  { name: 'min.compaction.lag.ms', type: 'LONG', default: '0', brokerSynonym: 'log.cleaner.min.compaction.lag.ms', doc: 'Minimum time a message remains uncompacted', check: atLeast(0) },
  { name: 'min.insync.replicas', type: 'INT', default: '1', brokerSynonym: 'min.insync.replicas', doc: 'Minimum in-sync replicas for acks=all (single node: 1)', check: atLeast(1) },
  { name: 'preallocate', type: 'BOOLEAN', default: 'false', brokerSynonym: 'log.preallocate', doc: 'Preallocate segment files (ignored by kstream)' },
  { name: 'retention.bytes', type: 'LONG', default: '-1', brokerSynonym: 'log.retention.bytes', doc: 'Maximum partition size before old segments are deleted (-1: no limit)', check: atLeast(-1) },
  { name: 'retention.ms', type: 'LONG', default: '604800000', brokerSynonym: 'log.retention.ms', doc: 'Age after which old segments are deleted (-1: no limit)', check: atLeast(-1) },
  { name: 'segment.bytes', type: 'INT', default: '1073741824', brokerSynonym: 'log.segment.bytes', doc: 'Segment file size at which a new segment is rolled', check: atLeast(14) },
  { name: 'segment.index.bytes', type: 'INT', default: '10485760', brokerSynonym: 'log.index.size.max.bytes', doc: 'Maximum offset index size (kstream indexes grow as needed)', check: atLeast(4) },
  { name: 'segment.jitter.ms', type: 'LONG', default: '0', brokerSynonym: 'log.roll.jitter.ms', doc: 'Random jitter subtracted from segment.ms (ignored by kstream)', check: atLeast(0) },
  { name: 'segment.ms', type: 'LONG', default: '604800000', brokerSynonym: 'log.roll.ms', doc: 'Age after which a new segment is rolled', check: atLeast(1) },
  { name: 'unclean.leader.election.enable', type: 'BOOLEAN', default: 'false', brokerSynonym: 'unclean.leader.election.enable', doc: 'Single node: no effect' },
];

const DEFS = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return DEFS.get(name);
}

/** Throws InvalidConfigError naming the problem when `value` is not valid for config `name`. */
export function validateTopicConfig(name: string, value: string | null): void {
  const def = DEFS.get(name);
  if (!def) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
  if (value === null) throw new InvalidConfigError(`Null value not supported for topic config ${name}`);
  const bad = typeError(def.type, value) ?? def.check?.(value.trim()) ?? null;
  if (bad) throw new InvalidConfigError(`Invalid value ${value} for configuration ${name}: ${bad}`);
}

function typeError(type: ConfigType, value: string): string | null {
  const v = value.trim();
  switch (type) {
    case 'INT':
    case 'SHORT':
    case 'LONG': {
      if (!/^-?\d+$/.test(v)) return `not a number of type ${type}`;
      const n = BigInt(v);
      const [min, max] = type === 'INT' ? [-(2n ** 31n), 2n ** 31n - 1n] : type === 'SHORT' ? [-32768n, 32767n] : [-(2n ** 63n), 2n ** 63n - 1n];
      return n < min || n > max ? `out of range for ${type}` : null;
    }
    case 'DOUBLE':
      return v === '' || Number.isNaN(Number(v)) ? 'not a number' : null;
    case 'BOOLEAN':
      return /^(true|false)$/i.test(v) ? null : 'expected true or false';
    default:
      return null;
  }
}

/** Validates a whole override map (CreateTopics / AlterConfigs). */
export function validateTopicConfigs(configs: Record<string, string>): void {
  for (const [k, v] of Object.entries(configs)) validateTopicConfig(k, v);
}

/** What storage itself reads from the effective config, parsed once. */
export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  retentionMs: number;
  retentionBytes: number;
  maxMessageBytes: number;
  indexIntervalBytes: number;
  logAppendTime: boolean;
  cleanupPolicy: string[];
  flushMessages: number;
  flushMs: number;
  minCompactionLagMs: number;
  deleteRetentionMs: number;
  minCleanableDirtyRatio: number;
}

/** Long.MAX_VALUE and friends become Infinity: "never". */
const num = (v: string): number => {
  const n = Number(v);
  return n >= Number.MAX_SAFE_INTEGER ? Number.POSITIVE_INFINITY : n;
};

export function parseLogConfig(effective: Record<string, string>): LogConfig {
  const get = (k: string): string => effective[k] ?? DEFS.get(k)!.default;
  return {
    segmentBytes: num(get('segment.bytes')),
    segmentMs: num(get('segment.ms')),
    retentionMs: num(get('retention.ms')),
    retentionBytes: num(get('retention.bytes')),
    maxMessageBytes: num(get('max.message.bytes')),
    indexIntervalBytes: num(get('index.interval.bytes')),
    logAppendTime: get('message.timestamp.type') === 'LogAppendTime',
    cleanupPolicy: get('cleanup.policy').split(',').map((s) => s.trim()),
    flushMessages: num(get('flush.messages')),
    flushMs: num(get('flush.ms')),
    minCompactionLagMs: num(get('min.compaction.lag.ms')),
    deleteRetentionMs: num(get('delete.retention.ms')),
    minCleanableDirtyRatio: Number(get('min.cleanable.dirty.ratio')),
  };
}

/**
 * Maps Kafka broker properties (server.properties names) to topic-config defaults, resolving the
 * hours/minutes/ms synonyms the way Kafka does (ms wins over minutes over hours). Unknown keys are
 * ignored here (the broker owns the rest of its settings). Returns topic-config names → values.
 */
export function topicDefaultsFromBrokerProperties(props: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const pick = (...keys: [string, number][]): string | undefined => {
    for (const [k, factor] of keys) {
      const v = props[k];
      if (v !== undefined) {
        if (!/^-?\d+$/.test(v.trim())) throw new InvalidConfigError(`Invalid value ${v} for broker config ${k}`);
        const n = Number(v.trim());
        if (n < -1) continue; // an "unset" sentinel (e.g. -2): fall through to the coarser unit
        return String(n < 0 ? -1 : n * factor);
      }
    }
    return undefined;
  };
  const retention = pick(['log.retention.ms', 1], ['log.retention.minutes', 60_000], ['log.retention.hours', 3_600_000]);
  if (retention !== undefined) out['retention.ms'] = retention;
  const roll = pick(['log.roll.ms', 1], ['log.roll.hours', 3_600_000]);
  if (roll !== undefined) out['segment.ms'] = roll;
  const jitter = pick(['log.roll.jitter.ms', 1], ['log.roll.jitter.hours', 3_600_000]);
  if (jitter !== undefined) out['segment.jitter.ms'] = jitter;
  for (const def of TOPIC_CONFIGS) {
    if (!def.brokerSynonym || out[def.name] !== undefined) continue;
    const v = props[def.brokerSynonym];
    if (v === undefined) continue;
    // Kafka leaves log.flush.interval.ms unset (null) by default; -1 and the like mean "not set".
    if (def.name === 'flush.ms' && Number(v) < 0) continue;
    out[def.name] = v;
  }
  for (const [k, v] of Object.entries(out)) validateTopicConfig(k, v);
  return out;
}
