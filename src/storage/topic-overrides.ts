import { InvalidConfigError } from './errors.ts';
import type { ConfigSourceName, ConfigType } from './topic-config.ts';
import { CONFIG_SOURCE, CONFIG_TYPE_CODE, TOPIC_CONFIGS, topicConfigDef, validateTopicConfig } from './topic-config.ts';

/**
 * A topic's config overrides seen through the broker's defaults: the effective values, the
 * DescribeConfigs view (value, source, synonyms) and the arithmetic of IncrementalAlterConfigs.
 * Pure: the topic store persists the result.
 */

export interface ConfigEntry {
  name: string;
  value: string;
  source: ConfigSourceName;
  /** DescribeConfigs configSource code. */
  sourceCode: number;
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
  type: ConfigType;
  /** DescribeConfigs v3+ configType code. */
  typeCode: number;
  documentation: string;
  /** Lower-precedence values, most specific first (DescribeConfigs includeSynonyms). */
  synonyms: { name: string; value: string; source: ConfigSourceName; sourceCode: number }[];
}

export type ConfigOp = 'set' | 'delete' | 'append' | 'subtract';
export interface ConfigChange {
  name: string;
  op: ConfigOp;
  value?: string | null;
}

/** The value a topic gets without an override of its own: the broker's default, else Kafka's. */
function defaultValue(name: string, brokerDefaults: Record<string, string>): { value: string; source: ConfigSourceName } {
  const broker = brokerDefaults[name];
  if (broker !== undefined) return { value: broker, source: 'STATIC_BROKER_CONFIG' };
  return { value: topicConfigDef(name)!.default, source: 'DEFAULT_CONFIG' };
}

/** All topic configs with their effective values: topic overrides over broker defaults over Kafka's. */
export function effectiveTopicConfig(overrides: Record<string, string>, brokerDefaults: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const def of TOPIC_CONFIGS) out[def.name] = overrides[def.name] ?? defaultValue(def.name, brokerDefaults).value;
  return out;
}

/** IncrementalAlterConfigs: the overrides after set/delete/append/subtract, validated (INVALID_CONFIG). */
export function applyConfigChanges(current: Record<string, string>, changes: ConfigChange[], brokerDefaults: Record<string, string>): Record<string, string> {
  const next = { ...current };
  for (const c of changes) {
    const def = topicConfigDef(c.name);
    if (!def) throw new InvalidConfigError(`Unknown topic config name: ${c.name}`);
    switch (c.op) {
      case 'set':
        validateTopicConfig(c.name, c.value ?? null);
        next[c.name] = c.value!;
        break;
      case 'delete':
        delete next[c.name];
        break;
      case 'append':
      case 'subtract': {
        if (def.type !== 'LIST') throw new InvalidConfigError(`Config value append/subtract is not allowed for config key ${c.name} (not a list)`);
        const cur = (next[c.name] ?? defaultValue(c.name, brokerDefaults).value).split(',').map((s) => s.trim()).filter((s) => s);
        const items = (c.value ?? '').split(',').map((s) => s.trim()).filter((s) => s);
        const result = c.op === 'append' ? [...cur, ...items.filter((i) => !cur.includes(i))] : cur.filter((i) => !items.includes(i));
        validateTopicConfig(c.name, result.join(','));
        next[c.name] = result.join(',');
        break;
      }
      default:
        throw new InvalidConfigError(`Unknown config operation ${String(c.op)} for ${c.name}`);
    }
  }
  return next;
}

/** DescribeConfigs for a topic resource: every config with value, source and synonyms. */
export function describeTopicConfigs(overrides: Record<string, string>, brokerDefaults: Record<string, string>): ConfigEntry[] {
    return TOPIC_CONFIGS.map((def) => {
      const synonyms: ConfigEntry['synonyms'] = [];
      const override = overrides[def.name];
      if (override !== undefined) synonyms.push({ name: def.name, value: override, source: 'DYNAMIC_TOPIC_CONFIG', sourceCode: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
      const broker = def.brokerSynonym ? brokerDefaults[def.name] : undefined;
      if (broker !== undefined && def.brokerSynonym) synonyms.push({ name: def.brokerSynonym, value: broker, source: 'STATIC_BROKER_CONFIG', sourceCode: CONFIG_SOURCE.STATIC_BROKER_CONFIG });
      synonyms.push({ name: def.name, value: def.default, source: 'DEFAULT_CONFIG', sourceCode: CONFIG_SOURCE.DEFAULT_CONFIG });
      const top = synonyms[0]!;
      return {
        name: def.name,
        value: top.value,
        source: top.source,
        sourceCode: top.sourceCode,
        isDefault: top.source === 'DEFAULT_CONFIG',
        readOnly: false,
        isSensitive: false,
        type: def.type,
        typeCode: CONFIG_TYPE_CODE[def.type],
        documentation: def.doc,
        synonyms,
      };
    });
  }

