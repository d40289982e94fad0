import type { ConnectRecord, Props } from '../api.ts';
import { ConfigException } from '../config-def.ts';
import { Cast, Filter, RegexRouter, TimestampConverter, TimestampRouter } from './record-transforms.ts';
import { ExtractField, Flatten, HoistField, InsertField, MaskField, ReplaceField, ValueToKey } from './field-transforms.ts';
import { HasHeaderKey, RecordIsTombstone, TopicNameMatches } from './predicates.ts';
import type { Predicate, Transformation } from './transformation.ts';

/**
 * The connector's transformation chain from its config, as Kafka's ConnectorConfig.transformationStages:
 * `transforms=a,b`, `transforms.a.type=<class>`, `transforms.a.<setting>=…`, optionally
 * `transforms.a.predicate=p` (+ `transforms.a.negate=true`) with `predicates=p`,
 * `predicates.p.type=<class>`, `predicates.p.<setting>=…`. Classes by Kafka's full names.
 */

const T = 'org.apache.kafka.connect.transforms.';
const P = 'org.apache.kafka.connect.transforms.predicates.';

const TRANSFORMS: Record<string, () => Transformation> = {
  [`${T}InsertField$Key`]: () => new InsertField('key'),
  [`${T}InsertField$Value`]: () => new InsertField('value'),
  [`${T}ReplaceField$Key`]: () => new ReplaceField('key'),
  [`${T}ReplaceField$Value`]: () => new ReplaceField('value'),
  [`${T}MaskField$Key`]: () => new MaskField('key'),
  [`${T}MaskField$Value`]: () => new MaskField('value'),
  [`${T}ValueToKey`]: () => new ValueToKey(),
  [`${T}ExtractField$Key`]: () => new ExtractField('key'),
  [`${T}ExtractField$Value`]: () => new ExtractField('value'),
  [`${T}HoistField$Key`]: () => new HoistField('key'),
  [`${T}HoistField$Value`]: () => new HoistField('value'),
  [`${T}Flatten$Key`]: () => new Flatten('key'),
  [`${T}Flatten$Value`]: () => new Flatten('value'),
  [`${T}Cast$Key`]: () => new Cast('key'),
  [`${T}Cast$Value`]: () => new Cast('value'),
  [`${T}TimestampConverter$Key`]: () => new TimestampConverter('key'),
  [`${T}TimestampConverter$Value`]: () => new TimestampConverter('value'),
  [`${T}TimestampRouter`]: () => new TimestampRouter(),
  [`${T}RegexRouter`]: () => new RegexRouter(),
  [`${T}Filter`]: () => new Filter(),
};

const PREDICATES: Record<string, () => Predicate> = {
  [`${P}TopicNameMatches`]: () => new TopicNameMatches(),
  [`${P}HasHeaderKey`]: () => new HasHeaderKey(),
  [`${P}RecordIsTombstone`]: () => new RecordIsTombstone(),
};

export const transformClasses = Object.keys(TRANSFORMS);
export const predicateClasses = Object.keys(PREDICATES);

function subConfig(config: Props, prefix: string): Props {
  const out: Props = {};
  for (const [k, v] of Object.entries(config)) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
  return out;
}

function names(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
}

interface Stage {
  name: string;
  transform: Transformation;
  predicate: Predicate | null;
  negate: boolean;
}

export class TransformationChain {
  private readonly stages: Stage[];

  constructor(config: Props) {
    const preds = new Map<string, Predicate>();
    for (const p of names(config.predicates)) {
      const own = subConfig(config, `predicates.${p}.`);
      const make = own.type ? PREDICATES[own.type.trim()] : undefined;
      if (!own.type) throw new ConfigException(`Missing required configuration "predicates.${p}.type" which has no default value.`);
      if (!make) throw new ConfigException(`Invalid value ${own.type} for configuration predicates.${p}.type: Class ${own.type} could not be found.`);
      const pred = make();
      pred.configure(own);
      preds.set(p, pred);
    }
    this.stages = names(config.transforms).map((name) => {
      const own = subConfig(config, `transforms.${name}.`);
      if (!own.type) throw new ConfigException(`Missing required configuration "transforms.${name}.type" which has no default value.`);
      const make = TRANSFORMS[own.type.trim()];
      if (!make) throw new ConfigException(`Invalid value ${own.type} for configuration transforms.${name}.type: Class ${own.type} could not be found.`);
      const transform = make();
      transform.configure(own);
      let predicate: Predicate | null = null;
      if (own.predicate) {
        predicate = preds.get(own.predicate) ?? null;
        if (!predicate) throw new ConfigException(`Invalid value ${own.predicate} for configuration transforms.${name}.predicate: predicate is not defined in 'predicates'`);
      }
      return { name, transform, predicate, negate: (own.negate ?? 'false').toLowerCase() === 'true' };
    });
  }

  get size(): number {
    return this.stages.length;
  }

  /** The record after every stage, or null when one dropped it. Errors carry the stage's name. */
  apply<R extends ConnectRecord>(record: R): R | null {
    let r: R | null = record;
    for (const s of this.stages) {
      if (r === null) return null;
      if (s.predicate && s.predicate.test(r) === s.negate) continue;
      try {
        r = s.transform.apply(r);
      } catch (e) {
        throw new TransformError(s.name, e as Error);
      }
    }
    return r;
  }
}

export class TransformError extends Error {
  override name = 'TransformError';
  readonly stage: string;
  constructor(stage: string, cause: Error) {
    super(cause.message, { cause });
    this.stage = stage;
  }
}
