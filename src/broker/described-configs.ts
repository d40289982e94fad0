import { BROKER_SETTINGS, brokerSetting, brokerSettingSynonyms } from '../config/broker-settings.ts';
import { CONFIG_SOURCE, CONFIG_TYPE_CODE, type SettingDef } from '../config/definitions.ts';
import { TOPIC_SETTINGS } from '../config/topic-settings.ts';
import type { BrokerConfig } from './config.ts';

/**
 * DescribeConfigs entries built the way Kafka 3.9's ConfigHelper builds them, from the setting
 * tables (src/config) and the broker's layered values. The rules clients can see:
 * - a topic config's synonyms are its own override (DYNAMIC_TOPIC_CONFIG) if it has one, then the
 *   broker settings that supply its default under the broker's names (`log.cleanup.policy`), each
 *   from the dynamic per-broker, dynamic cluster-wide, static and default layers in that order,
 *   with everything before the first entry of the primary broker name dropped (so `retention.ms`
 *   left at its default has no synonyms: Kafka's default layer holds `log.retention.hours`, not
 *   `log.retention.ms`). An unset topic config never lists itself.
 * - the entry's source is its first synonym's, else DEFAULT_CONFIG.
 * - a broker setting is read-only unless Kafka can change it at runtime.
 */

/** DescribeConfigs / AlterConfigs resource types (Kafka's ConfigResource.Type ids). */
export const ConfigResourceType = { TOPIC: 2, BROKER: 4, BROKER_LOGGER: 8 } as const;

export interface DescribedSynonym {
  name: string;
  value: string | null;
  source: number;
}

export interface DescribedConfig {
  name: string;
  value: string | null;
  readOnly: boolean;
  /** Only v0 carries it. */
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: DescribedSynonym[];
  configType: number;
  documentation: string;
}

const BROKER_LAYERS = ['DYNAMIC_BROKER_CONFIG', 'DYNAMIC_DEFAULT_BROKER_CONFIG', 'STATIC_BROKER_CONFIG', 'DEFAULT_CONFIG'] as const;

/** Kafka's ConfigHelper.configSynonyms: `names` through every broker layer, then dropWhile(name != primary). */
function brokerSynonyms(config: BrokerConfig, primary: string, names: readonly string[]): DescribedSynonym[] {
  const out: DescribedSynonym[] = [];
  for (const layer of BROKER_LAYERS) {
    for (const n of names) {
      const value = layerValue(config, layer, n);
      if (value !== undefined) out.push({ name: n, value, source: CONFIG_SOURCE[layer] });
    }
  }
  const first = out.findIndex((s) => s.name === primary);
  return first < 0 ? [] : out.slice(first);
}

function layerValue(config: BrokerConfig, layer: (typeof BROKER_LAYERS)[number], name: string): string | undefined {
  const def = brokerSetting(name);
  if (!def) return undefined;
  if (layer === 'DEFAULT_CONFIG') return def.default ?? undefined;
  return config.layers(name).find(([source]) => source === layer)?.[1];
}

function entry(def: SettingDef, value: string | null, readOnly: boolean, synonyms: DescribedSynonym[]): DescribedConfig {
  const configSource = synonyms[0]?.source ?? CONFIG_SOURCE.DEFAULT_CONFIG;
  // Kafka's ConfigHelper: a sensitive (PASSWORD) value is never sent, neither as the value nor in a synonym.
  const sensitive = def.type === 'PASSWORD';
  return {
    name: def.name,
    value: sensitive ? null : value,
    readOnly,
    isDefault: configSource === CONFIG_SOURCE.DEFAULT_CONFIG,
    configSource,
    isSensitive: sensitive,
    synonyms: sensitive ? synonyms.map((syn) => ({ ...syn, value: null })) : synonyms,
    configType: CONFIG_TYPE_CODE[def.type],
    documentation: def.doc,
  };
}

/** Every topic config of a topic with `overrides`, in name order. */
export function topicConfigEntries(config: BrokerConfig, overrides: Readonly<Record<string, string>>): DescribedConfig[] {
  const fromBroker = config.topicDefaults();
  return TOPIC_SETTINGS.map((def) => {
    const override = overrides[def.name];
    const value = override ?? fromBroker[def.name] ?? def.default;
    const primary = def.brokerSynonyms[0]?.name;
    const synonyms = primary ? brokerSynonyms(config, primary, brokerSettingSynonyms(primary)) : [];
    if (override !== undefined) synonyms.unshift({ name: def.name, value: override, source: CONFIG_SOURCE.DYNAMIC_TOPIC_CONFIG });
    return entry(def, value, false, synonyms);
  });
}

/**
 * Broker settings. `scope` 'broker' (resource name = node id): every setting with its effective
 * value. 'cluster' (resource name ""): only the cluster-wide dynamic settings, with only their
 * DYNAMIC_DEFAULT_BROKER_CONFIG synonyms — what Kafka answers for the default resource.
 */
export function brokerConfigEntries(config: BrokerConfig, scope: 'broker' | 'cluster'): DescribedConfig[] {
  if (scope === 'cluster') {
    return Object.entries(config.dynamic('cluster')).flatMap(([name, value]) => {
      const def = brokerSetting(name);
      if (!def) return [];
      const synonyms = brokerSynonyms(config, name, brokerSettingSynonyms(name)).filter((s) => s.source === CONFIG_SOURCE.DYNAMIC_DEFAULT_BROKER_CONFIG);
      return [entry(def, value, !def.dynamic, synonyms)];
    });
  }
  return BROKER_SETTINGS.map((def) => {
    const synonyms = brokerSynonyms(config, def.name, brokerSettingSynonyms(def.name));
    return entry(def, config.resolve(def.name).value, !def.dynamic, synonyms);
  });
}

