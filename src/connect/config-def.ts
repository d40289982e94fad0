/**
 * A small ConfigDef (org.apache.kafka.common.config.ConfigDef): typed definitions with defaults and
 * validators, used to parse connector configs and to answer the REST validate endpoint with Kafka's
 * body shape (ConfigInfos: definition + value per key).
 */

export type ConfigType = 'STRING' | 'INT' | 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'LIST' | 'CLASS' | 'PASSWORD';
export type Importance = 'HIGH' | 'MEDIUM' | 'LOW';

export interface ConfigKey {
  name: string;
  type: ConfigType;
  /** undefined = required (no default). */
  defaultValue?: string | null;
  importance: Importance;
  documentation: string;
  group?: string;
  displayName?: string;
  /** Throws with the reason when the (parsed) value is not acceptable. */
  validate?: (value: unknown) => void;
}

export type ConfigDef = ConfigKey[];

export class ConfigException extends Error {
  override name = 'ConfigException';
}

export function parseValue(key: ConfigKey, raw: string | null | undefined): unknown {
  const text = raw ?? key.defaultValue;
  if (text === undefined) throw new ConfigException(`Missing required configuration "${key.name}" which has no default value.`);
  if (text === null) return null;
  const t = text.trim();
  const bad = (what: string) => new ConfigException(`Invalid value ${text} for configuration ${key.name}: ${what}`);
  switch (key.type) {
    case 'INT':
    case 'LONG': {
      if (!/^-?\d+$/.test(t)) throw bad(`Not a number of type ${key.type}`);
      const n = Number(t);
      if (key.type === 'INT' && (n < -2147483648 || n > 2147483647)) throw bad('Not a number of type INT');
      return n;
    }
    case 'DOUBLE':
      if (t === '' || Number.isNaN(Number(t))) throw bad('Not a number of type DOUBLE');
      return Number(t);
    case 'BOOLEAN':
      if (t.toLowerCase() === 'true') return true;
      if (t.toLowerCase() === 'false') return false;
      throw bad('Expected value to be either true or false');
    case 'LIST':
      return t === '' ? [] : t.split(',').map((s) => s.trim());
    default:
      return key.type === 'STRING' || key.type === 'PASSWORD' ? text : t;
  }
}

/** Parsed values of every key, throwing the first error (as AbstractConfig's constructor). */
export function parseConfig(def: ConfigDef, props: Readonly<Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of def) {
    const v = parseValue(key, props[key.name]);
    if (key.validate && v !== null) {
      try {
        key.validate(v);
      } catch (e) {
        throw new ConfigException(`Invalid value ${props[key.name] ?? key.defaultValue} for configuration ${key.name}: ${(e as Error).message}`);
      }
    }
    out[key.name] = v;
  }
  return out;
}

export interface ConfigValueInfo {
  definition: {
    name: string;
    type: ConfigType;
    required: boolean;
    default_value: string | null;
    importance: Importance;
    documentation: string;
    group: string | null;
    width: 'NONE';
    display_name: string;
    dependents: string[];
    order: number;
  };
  value: { name: string; value: string | null; recommended_values: string[]; errors: string[]; visible: boolean };
}

/** Kafka's ConfigInfo list for these props: one entry per key, with the validation errors of each. */
export function validateConfig(def: ConfigDef, props: Readonly<Record<string, string>>): ConfigValueInfo[] {
  const orderInGroup = new Map<string, number>();
  return def.map((key) => {
    const errors: string[] = [];
    try {
      const v = parseValue(key, props[key.name]);
      if (key.validate && v !== null) {
        try {
          key.validate(v);
        } catch (e) {
          errors.push(`Invalid value ${props[key.name] ?? key.defaultValue} for configuration ${key.name}: ${(e as Error).message}`);
        }
      }
    } catch (e) {
      errors.push((e as Error).message);
    }
    const group = key.group ?? null;
    const order = (orderInGroup.get(group ?? '') ?? 0) + 1;
    orderInGroup.set(group ?? '', order);
    return {
      definition: {
        name: key.name,
        type: key.type,
        required: key.defaultValue === undefined,
        default_value: key.defaultValue === undefined || key.defaultValue === null ? null : key.type === 'PASSWORD' ? '[hidden]' : key.defaultValue,
        importance: key.importance,
        documentation: key.documentation,
        group,
        width: 'NONE',
        display_name: key.displayName ?? key.name,
        dependents: [],
        order: group ? order : -1,
      },
      value: {
        name: key.name,
        value: key.type === 'PASSWORD' && props[key.name] !== undefined ? '[hidden]' : (props[key.name] ?? key.defaultValue ?? null),
        recommended_values: [],
        errors,
        visible: true,
      },
    };
  });
}

export const positive = (v: unknown): void => {
  if (typeof v === 'number' && v < 1) throw new Error('Value must be at least 1');
};
