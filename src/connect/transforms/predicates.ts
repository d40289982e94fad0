import type { ConnectRecord, Props } from '../api.ts';
import { ConfigException } from '../config-def.ts';
import { required, type Predicate } from './transformation.ts';

/** org.apache.kafka.connect.transforms.predicates.TopicNameMatches: the whole topic name matches `pattern`. */
export class TopicNameMatches implements Predicate {
  private re = /$^/;
  configure(p: Props): void {
    const pattern = required(p, 'pattern', 'TopicNameMatches');
    try {
      this.re = new RegExp(`^(?:${pattern})$`);
    } catch (e) {
      throw new ConfigException(`Invalid value ${pattern} for configuration pattern: entry must be a Java-compatible regular expression: ${(e as Error).message}`);
    }
  }
  test(r: ConnectRecord): boolean {
    return r.topic !== null && this.re.test(r.topic);
  }
}

/** HasHeaderKey: the record has at least one header named `name`. */
export class HasHeaderKey implements Predicate {
  private name = '';
  configure(p: Props): void {
    this.name = required(p, 'name', 'HasHeaderKey');
  }
  test(r: ConnectRecord): boolean {
    return r.headers.some((h) => h.key === this.name);
  }
}

/** RecordIsTombstone: the value is null. */
export class RecordIsTombstone implements Predicate {
  configure(): void {}
  test(r: ConnectRecord): boolean {
    return r.value === null || r.value === undefined;
  }
}
