/** split()/branch(): Kafka's BranchedKStream; branches are named <split name><branch name or index>. */
import type { KStream } from "./kstream.ts";

export class Branched<K, V> {
  readonly name?: string;
  readonly chain?: (s: KStream<K, V>) => KStream<K, V> | void;
  private constructor(name?: string, chain?: (s: KStream<K, V>) => KStream<K, V> | void) {
    this.name = name;
    this.chain = chain;
  }
  static as<K, V>(name: string): Branched<K, V> { return new Branched<K, V>(name); }
  static withFunction<K, V>(chain: (s: KStream<K, V>) => KStream<K, V> | void, name?: string): Branched<K, V> { return new Branched(name, chain); }
  static withConsumer<K, V>(consumer: (s: KStream<K, V>) => void, name?: string): Branched<K, V> { return new Branched(name, consumer); }
}

export interface BranchedKStream<K, V> {
  branch(predicate: (key: K, value: V) => boolean, branched?: Branched<K, V>): BranchedKStream<K, V>;
  defaultBranch(branched?: Branched<K, V>): Map<string, KStream<K, V>>;
  noDefaultBranch(): Map<string, KStream<K, V>>;
}
