import {
  atLeast,
  between,
  canonicalValue,
  LONG_MAX,
  listOf,
  oneOf,
  type SettingDef,
  type Validator,
} from './definitions.ts';
import { TOPIC_CONFIG_DOCS } from './topic-docs.ts';

/**
 * Every topic config of Kafka 3.9 (LogConfig's ConfigDef) with its type, default, validation and
 * documentation, and beside each the broker settings that supply its default (Kafka's
 * ServerTopicConfigSynonyms: `retention.ms` ← `log.retention.ms`, `log.retention.minutes`,
 * `log.retention.hours`). Storage reads the subset it implements (storage/topic-config.ts); the
 * rest are accepted and described like Kafka does, with `ignored` saying why they change nothing.
 */

/** A broker setting that supplies a topic config's default, in precedence order, with its unit. */
export interface BrokerSynonym {
  readonly name: string;
  /** Multiply the broker value by this to get the topic value (hours → ms). */
  readonly factor?: number;
}

export interface TopicSettingDef extends SettingDef {
  /** The broker settings that supply the default, highest precedence first; empty = none. */
  readonly brokerSynonyms: readonly BrokerSynonym[];
}

const HOURS = 3_600_000;
const MINUTES = 60_000;
const NO_REPLICATION = 'a single node has no replicas';
const NO_TIERED = 'no tiered storage';

/** MetadataVersion strings Kafka 3.9 accepts for message.format.version (MetadataVersionValidator). */
const RELEASES: Record<string, string[]> = {
  '0.8.0': [], '0.8.1': [], '0.8.2': [], '0.9.0': [], '0.10.0': ['IV0', 'IV1'], '0.10.1': ['IV0', 'IV1', 'IV2'],
  '0.10.2': ['IV0'], '0.11.0': ['IV0', 'IV1', 'IV2'], '1.0': ['IV0'], '1.1': ['IV0'], '2.0': ['IV0', 'IV1'],
  '2.1': ['IV0', 'IV1', 'IV2'], '2.2': ['IV0', 'IV1'], '2.3': ['IV0', 'IV1'], '2.4': ['IV0', 'IV1'], '2.5': ['IV0'],
  '2.6': ['IV0'], '2.7': ['IV0', 'IV1', 'IV2'], '2.8': ['IV0', 'IV1'], '3.0': ['IV0', 'IV1'], '3.1': ['IV0'],
  '3.2': ['IV0'], '3.3': ['IV0', 'IV1', 'IV2', 'IV3'], '3.4': ['IV0'], '3.5': ['IV0', 'IV1', 'IV2'],
  '3.6': ['IV0', 'IV1', 'IV2'], '3.7': ['IV0', 'IV1', 'IV2', 'IV3', 'IV4'], '3.8': ['IV0'], '3.9': ['IV0'],
};
const METADATA_VERSIONS = new Set(
  Object.entries(RELEASES).flatMap(([r, ivs]) => [r, ...ivs.map((iv) => `${r}-${iv}`)]).concat(['4.0-IV0', '4.0-IV1', '4.0-IV2', '4.0-IV3']),
);
/** MetadataVersion.fromVersionString: "2.8.1" means 2.8, "0.10.0.1" means 0.10.0. */
const metadataVersion: Validator = (v) => {
  const parts = v.split('.');
  const n = v.startsWith('0.') ? 3 : 2;
  const key = n >= parts.length ? v : parts.slice(0, n).join('.');
  return METADATA_VERSIONS.has(key) ? null : `Version ${v} is not a valid version`;
};
/** ThrottledReplicaListValidator: "*" or partition:broker pairs. */
const throttledReplicas: Validator = (v) =>
  v === '' || v === '*' || v.split(',').every((p) => /^\s*\d+\s*:\s*\d+\s*$/.test(p))
    ? null
    : 'Should be a list of [PartitionId]:[BrokerId] pairs, e.g. 0:1,1:2, or the wildcard *';
const gzipLevel: Validator = (v) => (Number(v) > 9 || (Number(v) < 1 && Number(v) !== -1) ? 'Value must be between 1 and 9 or equal to -1' : null);

type Row = [name: string, type: SettingDef['type'], dflt: string, validate: Validator | undefined, synonyms: (string | BrokerSynonym)[], ignored?: string];

const ROWS: Row[] = [
  ['cleanup.policy', 'LIST', 'delete', listOf('compact', 'delete'), ['log.cleanup.policy']],
  ['compression.gzip.level', 'INT', '-1', gzipLevel, ['compression.gzip.level'], 'batches are stored as the producer compressed them'],
  ['compression.lz4.level', 'INT', '9', between(1, 17), ['compression.lz4.level'], 'batches are stored as the producer compressed them'],
  ['compression.type', 'STRING', 'producer', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), ['compression.type'], 'batches are stored as the producer compressed them (Kafka\'s "producer")'],
  ['compression.zstd.level', 'INT', '3', between(-131072, 22), ['compression.zstd.level'], 'batches are stored as the producer compressed them'],
  ['delete.retention.ms', 'LONG', '86400000', atLeast(0), ['log.cleaner.delete.retention.ms']],
  ['file.delete.delay.ms', 'LONG', '60000', atLeast(0), ['log.segment.delete.delay.ms'], 'segments are deleted at once'],
  ['flush.messages', 'LONG', LONG_MAX, atLeast(1), ['log.flush.interval.messages']],
  ['flush.ms', 'LONG', LONG_MAX, atLeast(0), ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms']],
  ['follower.replication.throttled.replicas', 'LIST', '', throttledReplicas, [], NO_REPLICATION],
  ['index.interval.bytes', 'INT', '4096', atLeast(0), ['log.index.interval.bytes']],
  ['leader.replication.throttled.replicas', 'LIST', '', throttledReplicas, [], NO_REPLICATION],
  ['local.retention.bytes', 'LONG', '-2', atLeast(-2), ['log.local.retention.bytes'], NO_TIERED],
  ['local.retention.ms', 'LONG', '-2', atLeast(-2), ['log.local.retention.ms'], NO_TIERED],
  ['max.compaction.lag.ms', 'LONG', LONG_MAX, atLeast(1), ['log.cleaner.max.compaction.lag.ms'], 'compaction runs on the retention timer whenever min.cleanable.dirty.ratio is reached'],
  ['max.message.bytes', 'INT', '1048588', atLeast(0), ['message.max.bytes']],
  ['message.downconversion.enable', 'BOOLEAN', 'true', undefined, ['log.message.downconversion.enable'], 'accepted for compatibility'],
  ['message.format.version', 'STRING', '3.0-IV1', metadataVersion, ['log.message.format.version'], 'deprecated: Kafka 3.x ignores it too (the format is always v2)'],
  ['message.timestamp.after.max.ms', 'LONG', LONG_MAX, atLeast(0), ['log.message.timestamp.after.max.ms'], 'timestamps are not range-checked'],
  ['message.timestamp.before.max.ms', 'LONG', LONG_MAX, atLeast(0), ['log.message.timestamp.before.max.ms'], 'timestamps are not range-checked'],
  ['message.timestamp.difference.max.ms', 'LONG', LONG_MAX, atLeast(0), ['log.message.timestamp.difference.max.ms'], 'timestamps are not range-checked'],
  ['message.timestamp.type', 'STRING', 'CreateTime', oneOf('CreateTime', 'LogAppendTime'), ['log.message.timestamp.type']],
  ['min.cleanable.dirty.ratio', 'DOUBLE', '0.5', between(0, 1), ['log.cleaner.min.cleanable.ratio']],
  ['min.compaction.lag.ms', 'LONG', '0', atLeast(0), ['log.cleaner.min.compaction.lag.ms']],
  ['min.insync.replicas', 'INT', '1', atLeast(1), ['min.insync.replicas']],
  ['preallocate', 'BOOLEAN', 'false', undefined, ['log.preallocate'], 'segment files grow as written'],
  ['remote.log.copy.disable', 'BOOLEAN', 'false', undefined, [], NO_TIERED],
  ['remote.log.delete.on.disable', 'BOOLEAN', 'false', undefined, [], NO_TIERED],
  ['remote.storage.enable', 'BOOLEAN', 'false', undefined, [], NO_TIERED],
  ['retention.bytes', 'LONG', '-1', undefined, ['log.retention.bytes']],
  ['retention.ms', 'LONG', '604800000', atLeast(-1), ['log.retention.ms', { name: 'log.retention.minutes', factor: MINUTES }, { name: 'log.retention.hours', factor: HOURS }]],
  ['segment.bytes', 'INT', '1073741824', atLeast(14), ['log.segment.bytes']],
  ['segment.index.bytes', 'INT', '10485760', atLeast(4), ['log.index.size.max.bytes'], 'indexes grow as needed'],
  ['segment.jitter.ms', 'LONG', '0', atLeast(0), ['log.roll.jitter.ms', { name: 'log.roll.jitter.hours', factor: HOURS }], 'one node has no thundering herd of rolls'],
  ['segment.ms', 'LONG', '604800000', atLeast(1), ['log.roll.ms', { name: 'log.roll.hours', factor: HOURS }]],
  ['unclean.leader.election.enable', 'BOOLEAN', 'false', undefined, ['unclean.leader.election.enable'], NO_REPLICATION],
];

export const TOPIC_SETTINGS: readonly TopicSettingDef[] = ROWS.map(([name, type, dflt, validate, synonyms, ignored]) => ({
  name,
  type,
  default: dflt,
  doc: TOPIC_CONFIG_DOCS[name] ?? '',
  ...(validate ? { validate } : {}),
  ...(ignored ? { ignored } : {}),
  brokerSynonyms: synonyms.map((s) => (typeof s === 'string' ? { name: s } : s)),
}));

const BY_NAME = new Map(TOPIC_SETTINGS.map((d) => [d.name, d]));

export function topicSetting(name: string): TopicSettingDef | undefined {
  return BY_NAME.get(name);
}

/** The broker setting that is a topic config's primary synonym (`log.retention.ms` for `retention.ms`). */
export function primaryBrokerSynonym(topicConfig: string): string | null {
  return BY_NAME.get(topicConfig)?.brokerSynonyms[0]?.name ?? null;
}

/** Every broker setting that supplies some topic config's default. */
export const TOPIC_DEFAULT_BROKER_SETTINGS: ReadonlySet<string> = new Set(TOPIC_SETTINGS.flatMap((d) => d.brokerSynonyms.map((s) => s.name)));

/**
 * The topic-config defaults that broker settings supply, as Kafka's KafkaConfig.extractLogConfigMap
 * computes them: for each topic config, the first of its broker synonyms that is set (ms over
 * minutes over hours), converted to the topic's unit; negative times mean "forever" (-1).
 * `brokerValue` returns a broker setting's value when it is set (statically or dynamically), else
 * null; settings left at their Kafka default yield nothing (the topic default is the same value).
 */
export function topicDefaultsFromBroker(brokerValue: (name: string) => string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of TOPIC_SETTINGS) {
    for (const syn of def.brokerSynonyms) {
      const raw = brokerValue(syn.name);
      if (raw === null) continue;
      // log.flush.interval.ms is "not set" at -1 (kstream's historical default for it).
      if (def.name === 'flush.ms' && Number(raw) < 0) continue;
      const parsed = canonicalValue(def.type, raw);
      if ('error' in parsed) continue;
      let value = parsed.value;
      if (syn.factor !== undefined) {
        const n = BigInt(value);
        value = n < 0n ? '-1' : (n * BigInt(syn.factor)).toString();
      } else if (def.name === 'retention.ms' && BigInt(value) < 0n) {
        value = '-1';
      }
      out[def.name] = value;
      break;
    }
  }
  return out;
}

/**
 * Kafka 3.9's warning for a topic that sets message.format.version below 0.11 (record format v0/v1):
 * the value is ignored, as the inter-broker protocol is 3.0 or higher. Null when there is nothing to say.
 */
export function messageFormatVersionWarning(topic: string, value: string): string | null {
  if (!/^0\.(8|9|10)(\.|$)/.test(value.trim())) return null;
  return (
    `Topic configuration message.format.version with value \`${value}\` is ignored for \`${topic}\` because the ` +
    'inter-broker protocol version `3.9-IV0` is greater or equal than 3.0. This configuration is deprecated and it will be removed in Apache Kafka 4.0.'
  );
}
