/** Kafka's KeyValue pair, returned by map/flatMap mappers. */
export class KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
  constructor(key: K, value: V) {
    this.key = key;
    this.value = value;
  }
  static pair<K, V>(key: K, value: V): KeyValue<K, V> {
    return new KeyValue(key, value);
  }
  toString(): string {
    return `KeyValue(${String(this.key)}, ${String(this.value)})`;
  }
}

/** Kafka's ValueMapper / ValueMapperWithKey in one: a two-parameter function receives (key, value). */
export type ValueMapper<K, V, VR> = ((value: V) => VR) | ((key: K, value: V) => VR);
export function applyValueMapper<K, V, VR>(m: ValueMapper<K, V, VR>, key: K, value: V): VR {
  return m.length >= 2 ? (m as (k: K, v: V) => VR)(key, value) : (m as (v: V) => VR)(value);
}
