/**
 * KGroupedTable (Kafka's KGroupedTableImpl): re-keyed table updates always go through a repartition
 * topic, then count/reduce/aggregate apply the adder for new values and the subtractor for old ones.
 */
import type { Materialized, Named } from "./dsl-options.ts";
import { changeSerde } from "./internal-builder.ts";
import type { InternalStreamsBuilder } from "./internal-builder.ts";
import { addRepartition } from "./kstream.ts";
import { KTable } from "./ktable.ts";
import { keyValueStore, storeNameFor } from "./materialize.ts";
import { tableAggregate } from "./processors/aggregate.ts";
import { Serdes } from "./serdes.ts";
import type { Serde } from "./serdes.ts";

export class KGroupedTable<K, V> {
  private readonly builder: InternalStreamsBuilder;
  private readonly name: string;
  private readonly keySerde: Serde<K> | undefined;
  private readonly valueSerde: Serde<V> | undefined;
  private readonly repartitionName: string | undefined;
  constructor(builder: InternalStreamsBuilder, name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionName: string | undefined) {
    this.builder = builder;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionName = repartitionName;
  }

  count(materialized?: Materialized<K, number>, named?: Named): KTable<K, number> {
    return this.build<number>("KTABLE-AGGREGATE-", () => 0, (_k, _v, a) => a + 1, (_k, _v, a) => a - 1, materialized, named, materialized?.valueSerde ?? Serdes.Long());
  }
  reduce(adder: (agg: V, value: V) => V, subtractor: (agg: V, value: V) => V, materialized?: Materialized<K, V>, named?: Named): KTable<K, V> {
    return this.build<V>("KTABLE-REDUCE-", null, (_k, v, a) => adder(a, v), (_k, v, a) => subtractor(a, v), materialized, named, materialized?.valueSerde ?? this.valueSerde);
  }
  aggregate<A>(initializer: () => A, adder: (key: K, value: V, agg: A) => A, subtractor: (key: K, value: V, agg: A) => A, materialized?: Materialized<K, A>, named?: Named): KTable<K, A> {
    return this.build<A>("KTABLE-AGGREGATE-", initializer, adder, subtractor, materialized, named, materialized?.valueSerde);
  }

  private build<A>(
    prefix: string,
    init: (() => A) | null,
    adder: (k: K, v: V, a: A) => A,
    subtractor: (k: K, v: V, a: A) => A,
    m: Materialized<K, A> | undefined,
    named: Named | undefined,
    vs: Serde<A> | undefined,
  ): KTable<K, A> {
    const store = storeNameFor(this.builder, m as Materialized<unknown, unknown> | undefined, prefix);
    const name = named?.name ?? this.builder.newProcessorName(prefix);
    const source = addRepartition(this.builder, this.name, this.repartitionName ?? store.name, this.keySerde as Serde<unknown>, changeSerde(this.valueSerde) as Serde<unknown>);
    const ms = keyValueStore(store, m, this.keySerde, vs);
    this.builder.topology.addProcessor(name, tableAggregate<K, V, A>(ms.storeName, init, adder, subtractor), source);
    this.builder.topology.addStateStore(ms.builder, name);
    return new KTable<K, A>(this.builder, name, m?.keySerde ?? this.keySerde, vs, { storeName: ms.storeName, queryable: ms.queryable });
  }
}
