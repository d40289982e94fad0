import type { Converter } from './converter.ts';
import { JsonConverter } from './json-converter.ts';
import { ByteArrayConverter, StringConverter } from './simple-converters.ts';

export type { Converter, SchemaAndValue } from './converter.ts';

/** Converters by Kafka class name (and simple name). */
const CONVERTERS: Record<string, () => Converter> = {
  'org.apache.kafka.connect.json.JsonConverter': () => new JsonConverter(),
  JsonConverter: () => new JsonConverter(),
  'org.apache.kafka.connect.storage.StringConverter': () => new StringConverter(),
  StringConverter: () => new StringConverter(),
  'org.apache.kafka.connect.converters.ByteArrayConverter': () => new ByteArrayConverter(),
  ByteArrayConverter: () => new ByteArrayConverter(),
};

/**
 * The converter for `<prefix>` (`key.converter` or `value.converter`) from a config map, configured with
 * its `<prefix>.*` settings. Throws naming the class when it is not one we have.
 */
export function converterFrom(config: Readonly<Record<string, string>>, prefix: 'key.converter' | 'value.converter'): Converter {
  const cls = config[prefix];
  if (!cls) throw new Error(`Missing required configuration "${prefix}" which has no default value.`);
  const make = CONVERTERS[cls.trim()];
  if (!make) throw new Error(`Invalid value ${cls} for configuration ${prefix}: Class ${cls} could not be found (available: JsonConverter, StringConverter, ByteArrayConverter).`);
  const own: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith(`${prefix}.`)) own[k.slice(prefix.length + 1)] = v;
  const c = make();
  c.configure(own, prefix === 'key.converter');
  return c;
}

export const converterClasses = Object.keys(CONVERTERS).filter((k) => k.includes('.'));
