import { CONFIG_SOURCE, CONFIG_TYPE_CODE, type ConfigSourceName, type ConfigType, settingError } from '../config/definitions.ts';
import { TOPIC_SETTINGS, topicDefaultsFromBroker, topicSetting, type TopicSettingDef } from '../config/topic-settings.ts';
import { InvalidConfigError } from './errors.ts';

/**
 * Storage's view of the topic configs defined in src/config/topic-settings.ts: validation (answered
 * INVALID_CONFIG), and the parsed LogConfig of the configs storage carries out. cleanup.policy=compact
 * is carried out by log-cleaner.ts.
 */
export { CONFIG_SOURCE, CONFIG_TYPE_CODE };
export type { ConfigSourceName, ConfigType };

export interface TopicConfigDef extends TopicSettingDef {
  /** Kafka's default as a string (every topic config has one). */
  readonly default: string;
  /** The broker setting whose value is this config's default (the first synonym), e.g. log.retention.ms. */
  readonly brokerSynonym: string | null;
}

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = TOPIC_SETTINGS.map((d) => ({
  ...d,
  default: d.default ?? '',
  brokerSynonym: d.brokerSynonyms[0]?.name ?? null,
}));

const DEFS = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

export function topicConfigDef(name: string): TopicConfigDef | undefined {
  return DEFS.get(name);
}

/** Throws InvalidConfigError naming the problem when `value` is not valid for config `name`. */
export function validateTopicConfig(name: string, value: string | null): void {
  const def = topicSetting(name);
  if (!def) throw new InvalidConfigError(`Unknown topic config name: ${name}`);
  if (value === null) throw new InvalidConfigError(`Null value not supported for topic config ${name}`);
  const bad = settingError(def, value);
  if (bad) throw new InvalidConfigError(bad);
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
  /** segment.index.bytes: the cleaner merges segments only while their indexes stay within it. */
  maxIndexBytes: number;
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
    maxIndexBytes: num(get('segment.index.bytes')),
  };
}

/**
 * Maps Kafka broker properties (server.properties names) to topic-config defaults with Kafka's
 * synonym precedence (ms over minutes over hours; see topic-settings.ts). Keys that are not broker
 * synonyms of a topic config are ignored (the broker owns the rest); a value that is not valid for
 * its topic config is refused (INVALID_CONFIG) naming the topic config.
 */
export function topicDefaultsFromBrokerProperties(props: Record<string, string>): Record<string, string> {
  for (const def of TOPIC_SETTINGS) {
    for (const syn of def.brokerSynonyms) {
      const v = props[syn.name];
      if (v !== undefined && settingError({ ...def, name: syn.name, validate: undefined }, v)) {
        throw new InvalidConfigError(`Invalid value ${v} for broker config ${syn.name} (default of topic config ${def.name})`);
      }
    }
  }
  const out = topicDefaultsFromBroker((name) => props[name] ?? null);
  validateTopicConfigs(out);
  return out;
}
