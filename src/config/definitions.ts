/**
 * What a setting definition is, shared by the broker settings (broker-settings.ts) and the topic
 * configs (topic-settings.ts): Kafka's ConfigDef types, DescribeConfigs' type and source codes, and
 * the validators. A leaf module: storage and the broker both import it, it imports nothing.
 */

/** Kafka's ConfigDef.Type. */
export type ConfigType = 'BOOLEAN' | 'STRING' | 'INT' | 'SHORT' | 'LONG' | 'DOUBLE' | 'LIST' | 'CLASS' | 'PASSWORD';

/** DescribeConfigs v3+ configType codes (DescribeConfigsResponse.ConfigType). */
export const CONFIG_TYPE_CODE: Readonly<Record<ConfigType, number>> = {
  BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, DOUBLE: 6, LIST: 7, CLASS: 8, PASSWORD: 9,
};

/** DescribeConfigs configSource codes (DescribeConfigsResponse.ConfigSource). */
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

/** Checks a value already known to be of the setting's type; returns Kafka's message or null. */
export type Validator = (value: string) => string | null;

/** One setting, defined once: name, type, default, documentation and how kstream treats it. */
export interface SettingDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as Kafka prints it; null = no default ("not set"). */
  readonly default: string | null;
  readonly doc: string;
  readonly validate?: Validator;
  /**
   * Set when kstream accepts the setting (so Kafka's files, scripts and clients work) but it changes
   * nothing on a single node: the reason, shown in `serve`'s start-up warning and the docs.
   */
  readonly ignored?: string;
}

export const LONG_MAX = '9223372036854775807';

const INT_RANGE: Partial<Record<ConfigType, [bigint, bigint]>> = {
  SHORT: [-32768n, 32767n],
  INT: [-(2n ** 31n), 2n ** 31n - 1n],
  LONG: [-(2n ** 63n), 2n ** 63n - 1n],
};

/**
 * Kafka's ConfigDef.parseType in string form: the canonical text of `raw` for `type`, or an error
 * message. Integers keep full 64-bit precision (Long.MAX_VALUE is a common default).
 */
export function canonicalValue(type: ConfigType, raw: string): { value: string } | { error: string } {
  const v = raw.trim();
  switch (type) {
    case 'SHORT':
    case 'INT':
    case 'LONG': {
      if (!/^[-+]?\d+$/.test(v)) return { error: `Not a number of type ${type}` };
      const n = BigInt(v);
      const [min, max] = INT_RANGE[type]!;
      if (n < min || n > max) return { error: `Not a number of type ${type}` };
      return { value: n.toString() };
    }
    case 'DOUBLE':
      return v === '' || Number.isNaN(Number(v)) ? { error: 'Not a number of type DOUBLE' } : { value: String(Number(v)) };
    case 'BOOLEAN':
      if (/^true$/i.test(v)) return { value: 'true' };
      if (/^false$/i.test(v)) return { value: 'false' };
      return { error: 'Expected value to be either true or false' };
    case 'LIST':
      return { value: splitList(v).join(',') };
    default:
      return { value: v };
  }
}

/** Validates `raw` for `def`; returns Kafka's "Invalid value X for configuration N: why" or null. */
export function settingError(def: SettingDef, raw: string): string | null {
  const parsed = canonicalValue(def.type, raw);
  const why = 'error' in parsed ? parsed.error : (def.validate?.(parsed.value) ?? null);
  return why === null ? null : `Invalid value ${raw} for configuration ${def.name}: ${why}`;
}

export function splitList(v: string): string[] {
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

// Validators, with the messages of Kafka's ConfigDef.Range / ValidString / ValidList.
export const atLeast = (min: number): Validator => (v) => (Number(v) < min ? `Value must be at least ${min}` : null);
export const between = (min: number, max: number): Validator => (v) =>
  Number(v) < min ? `Value must be at least ${min}` : Number(v) > max ? `Value must be no more than ${max}` : null;
export const oneOf = (...allowed: string[]): Validator => (v) => (allowed.includes(v) ? null : `String must be one of: ${allowed.join(', ')}`);
export const listOf = (...allowed: string[]): Validator => (v) => {
  const items = splitList(v);
  if (items.length === 0) return `Empty list; must be one or more of: ${allowed.join(', ')}`;
  for (const i of items) if (!allowed.includes(i)) return `String must be one of: ${allowed.join(', ')} (got ${i})`;
  return null;
};
