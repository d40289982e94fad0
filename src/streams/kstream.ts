/**
 * KStream: a record stream (Kafka's KStream/KStreamImpl). Each operator adds a named node to the
 * topology; key-changing operators mark the result for repartitioning before the next stateful step.
 */
import { writeFileSync, appendFileSync } from "node:fs";
import { Branched } from "./branched.ts";
import type { BranchedKStream } from "./branched.ts";
import { Grouped, Named, Printed, Produced, Repartitioned } from "./dsl-options.ts";
import type { Joined, Materialized, StreamJoined } from "./dsl-options.ts";
import { fnProcessor } from "./internal-builder.ts";
import type { InternalStreamsBuilder } from "./internal-builder.ts";
import { applyValueMapper, KeyValue } from "./key-value.ts";
import type { ValueMapper } from "./key-value.ts";
import { keyValueStore, storeNameFor } from "./materialize.ts";
import { Record, supply } from "./processor.ts";
import type { FixedKeyProcessorContext, FixedKeyProcessorSupplier, ProcessorContext, ProcessorSupplier } from "./processor.ts";
import { tableSource } from "./processors/aggregate.ts";
import type { Serde } from "./serdes.ts";
import type { TopicNameExtractor } from "./topology.ts";
import { KGroupedStream } from "./kgrouped-stream.ts";
import { KTable } from "./ktable.ts";
import { streamGlobalTableJoin, streamStreamJoin, streamTableJoin } from "./stream-joins.ts";
import type { ValueJoiner } from "./stream-joins.ts";
import { GlobalKTable } from "./streams-builder.ts";
import type { JoinWindows } from "./windows.ts";

export const SOURCE_NAME = "KSTREAM-SOURCE-";
export const SINK_NAME = "KSTREAM-SINK-";
const FILTER_NAME = "KSTREAM-FILTER-";

/** Kafka's createRepartitionedSource: generated names burn the counter even when a user name is used. */
export function addRepartition(
  builder: InternalStreamsBuilder,
  parent: string,
  prefix: string,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
  opts: { partitions?: number; partitioner?: Repartitioned<unknown, unknown>["partitioner"] } = {},
): string {
  const topic = prefix.endsWith("-repartition") ? prefix : `${prefix}-repartition`;
  const genSink = builder.newProcessorName(SINK_NAME);
  const genFilter = builder.newProcessorName(FILTER_NAME);
  const genSource = builder.newProcessorName(SOURCE_NAME);
  const generated = /^KSTREAM.*-[0-9]{10}$/.test(prefix);
  const sink = generated ? genSink : `${topic}-sink`;
  const filter = generated ? genFilter : `${topic}-filter`;
  const source = generated ? genSource : `${topic}-source`;
  const t = builder.topology;
  t.internalTopics.set(topic, { partitions: opts.partitions });
  // Kafka keeps this pass-through filter node in every repartition for topology compatibility.
  t.addProcessor(filter, fnProcessor<unknown, unknown, unknown, unknown>((ctx, r) => ctx.forward(r)), parent);
  t.addSink(sink, topic, { keySerde, valueSerde, partitioner: opts.partitioner }, filter);
  t.addSource({ name: source, keySerde, valueSerde }, topic);
  return source;
}

export class KStream<K, V> {
  /** @internal */ readonly builder: InternalStreamsBuilder;
  /** @internal */ readonly name: string;
  /** @internal */ readonly keySerde: Serde<K> | undefined;
  /** @internal */ readonly valueSerde: Serde<V> | undefined;
  /** @internal */ readonly repartitionRequired: boolean;

  constructor(builder: InternalStreamsBuilder, name: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined, repartitionRequired: boolean) {
    this.builder = builder;
    this.name = name;
    this.keySerde = keySerde;
    this.valueSerde = valueSerde;
    this.repartitionRequired = repartitionRequired;
  }

  private nameFor(named: Named | undefined, prefix: string): string {
    return named?.name ?? this.builder.newProcessorName(prefix);
  }

  private stateless<K2, V2>(
    named: Named | undefined,
    prefix: string,
    process: (ctx: ProcessorContext<K2, V2>, r: Record<K, V>) => void,
    keySerde: Serde<K2> | undefined,
    valueSerde: Serde<V2> | undefined,
    repartition: boolean,
  ): KStream<K2, V2> {
    const name = this.nameFor(named, prefix);
    this.builder.topology.addProcessor(name, fnProcessor(process), this.name);
    return new KStream<K2, V2>(this.builder, name, keySerde, valueSerde, repartition);
  }

  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.stateless<K, V>(named, FILTER_NAME, (ctx, r) => { if (predicate(r.key(), r.value())) ctx.forward(r); }, this.keySerde, this.valueSerde, this.repartitionRequired);
  }
  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.stateless<K, V>(named, FILTER_NAME, (ctx, r) => { if (!predicate(r.key(), r.value())) ctx.forward(r); }, this.keySerde, this.valueSerde, this.repartitionRequired);
  }
  selectKey<KR>(mapper: (key: K, value: V) => KR, named?: Named): KStream<KR, V> {
    return this.stateless<KR, V>(named, "KSTREAM-KEY-SELECT-", (ctx, r) => ctx.forward(r.withKey(mapper(r.key(), r.value()))), undefined, this.valueSerde, true);
  }
  map<KR, VR>(mapper: (key: K, value: V) => KeyValue<KR, VR> | { key: KR; value: VR }, named?: Named): KStream<KR, VR> {
    return this.stateless<KR, VR>(named, "KSTREAM-MAP-", (ctx, r) => {
      const kv = mapper(r.key(), r.value());
      if (kv === null || kv === undefined) throw new Error("The provided KeyValueMapper returned null which is not allowed.");
      ctx.forward(new Record(kv.key, kv.value, r.timestamp(), r.headers()));
    }, undefined, undefined, true);
  }
  mapValues<VR>(mapper: ValueMapper<K, V, VR>, named?: Named): KStream<K, VR> {
    return this.stateless<K, VR>(named, "KSTREAM-MAPVALUES-", (ctx, r) => ctx.forward(r.withValue(applyValueMapper(mapper, r.key(), r.value()))), this.keySerde, undefined, this.repartitionRequired);
  }
  flatMap<KR, VR>(mapper: (key: K, value: V) => Iterable<KeyValue<KR, VR> | { key: KR; value: VR }>, named?: Named): KStream<KR, VR> {
    return this.stateless<KR, VR>(named, "KSTREAM-FLATMAP-", (ctx, r) => {
      for (const kv of mapper(r.key(), r.value())) ctx.forward(new Record(kv.key, kv.value, r.timestamp(), r.headers()));
    }, undefined, undefined, true);
  }
  flatMapValues<VR>(mapper: ValueMapper<K, V, Iterable<VR>>, named?: Named): KStream<K, VR> {
    return this.stateless<K, VR>(named, "KSTREAM-FLATMAPVALUES-", (ctx, r) => {
      for (const v of applyValueMapper(mapper, r.key(), r.value())) ctx.forward(r.withValue(v));
    }, this.keySerde, undefined, this.repartitionRequired);
  }
  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    return this.stateless<K, V>(named, "KSTREAM-PEEK-", (ctx, r) => { action(r.key(), r.value()); ctx.forward(r); }, this.keySerde, this.valueSerde, this.repartitionRequired);
  }
  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.stateless<never, never>(named, "KSTREAM-FOREACH-", (_ctx, r) => action(r.key(), r.value()), undefined, undefined, false);
  }
  print(printed: Printed<K, V> = Printed.toSysOut(), named?: Named): void {
    const name = this.nameFor(named, "KSTREAM-PRINTER-");
    // Kafka's default label is the printer node's own name.
    const label = printed.label ?? name;
    if (printed.filePath) writeFileSync(printed.filePath, "");
    this.builder.topology.addProcessor(name, fnProcessor<K, V, never, never>((_ctx, r) => {
      const line = `[${label}]: ${printed.mapper(r.key(), r.value())}\n`;
      if (printed.filePath) appendFileSync(printed.filePath, line);
      else process.stdout.write(line);
    }), this.name);
  }

  split(named?: Named): BranchedKStream<K, V> {
    const splitter = this.nameFor(named, "KSTREAM-BRANCH-");
    const predicates: Array<(key: K, value: V) => boolean> = [];
    const children: string[] = [];
    let defaultChild: string | undefined;
    this.builder.topology.addProcessor(splitter, fnProcessor<K, V, K, V>((ctx, r) => {
      for (let i = 0; i < predicates.length; i++) {
        if (predicates[i]!(r.key(), r.value())) return ctx.forward(r, children[i]);
      }
      if (defaultChild !== undefined) ctx.forward(r, defaultChild);
    }), this.name);
    const result = new Map<string, KStream<K, V>>();
    const make = (childName: string, branched: Branched<K, V> | undefined): void => {
      this.builder.topology.addProcessor(childName, fnProcessor<K, V, K, V>((ctx, r) => ctx.forward(r)), splitter);
      const branch = new KStream<K, V>(this.builder, childName, this.keySerde, this.valueSerde, this.repartitionRequired);
      if (branched?.chain) {
        const out = branched.chain(branch);
        if (out) result.set(childName, out);
      } else {
        result.set(childName, branch);
      }
    };
    const api: BranchedKStream<K, V> = {
      branch: (predicate, branched) => {
        predicates.push(predicate);
        const childName = splitter + (branched?.name ?? String(predicates.length));
        children.push(childName);
        make(childName, branched);
        return api;
      },
      defaultBranch: (branched) => {
        defaultChild = splitter + (branched?.name ?? "0");
        make(defaultChild, branched);
        return result;
      },
      noDefaultBranch: () => result,
    };
    return api;
  }

  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    const name = this.nameFor(named, "KSTREAM-MERGE-");
    this.builder.topology.addProcessor(name, fnProcessor<K, V, K, V>((ctx, r) => ctx.forward(r)), this.name, other.name);
    return new KStream(this.builder, name, undefined, undefined, this.repartitionRequired || other.repartitionRequired);
  }

  repartition(repartitioned: Repartitioned<K, V> = Repartitioned.with()): KStream<K, V> {
    const prefix = repartitioned.name ?? this.builder.newProcessorName("KSTREAM-REPARTITION-");
    const ks = repartitioned.keySerde ?? this.keySerde;
    const vs = repartitioned.valueSerde ?? this.valueSerde;
    const source = addRepartition(this.builder, this.name, prefix, ks as Serde<unknown>, vs as Serde<unknown>, {
      partitions: repartitioned.numberOfPartitions,
      partitioner: repartitioned.partitioner as Repartitioned<unknown, unknown>["partitioner"],
    });
    return new KStream(this.builder, source, ks, vs, false);
  }

  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<K, V> = Produced.with()): void {
    const name = produced.processorName ?? this.builder.newProcessorName(SINK_NAME);
    this.builder.topology.addSink(name, topic, { keySerde: produced.keySerde ?? this.keySerde, valueSerde: produced.valueSerde ?? this.valueSerde, partitioner: produced.partitioner }, this.name);
  }

  toTable(named?: Named, materialized?: Materialized<K, V>): KTable<K, V> {
    const store = storeNameFor(this.builder, materialized as Materialized<unknown, unknown> | undefined, "KSTREAM-TOTABLE-");
    const name = this.nameFor(named, "KSTREAM-TOTABLE-");
    let parent = this.name;
    if (this.repartitionRequired) parent = addRepartition(this.builder, this.name, `${name}-repartition`, this.keySerde as Serde<unknown>, this.valueSerde as Serde<unknown>);
    const ms = keyValueStore(store, materialized, this.keySerde, this.valueSerde);
    this.builder.topology.addProcessor(name, tableSource<K, V>(ms.storeName, () => true), parent);
    this.builder.topology.addStateStore(ms.builder, name);
    return new KTable<K, V>(this.builder, name, materialized?.keySerde ?? this.keySerde, materialized?.valueSerde ?? this.valueSerde, { storeName: ms.storeName, queryable: ms.queryable });
  }

  groupByKey(grouped: Grouped<K, V> = Grouped.with()): KGroupedStream<K, V> {
    return new KGroupedStream(this.builder, this.name, grouped.keySerde ?? this.keySerde, grouped.valueSerde ?? this.valueSerde, this.repartitionRequired, grouped.name);
  }
  groupBy<KR>(selector: (key: K, value: V) => KR, grouped: Grouped<KR, V> = Grouped.with()): KGroupedStream<KR, V> {
    const name = grouped.name ? `${grouped.name}-key-select` : this.builder.newProcessorName("KSTREAM-KEY-SELECT-");
    this.builder.topology.addProcessor(name, fnProcessor<K, V, KR, V>((ctx, r) => ctx.forward(r.withKey(selector(r.key(), r.value())))), this.name);
    return new KGroupedStream<KR, V>(this.builder, name, grouped.keySerde, grouped.valueSerde ?? this.valueSerde, true, grouped.name);
  }

  process<KR, VR>(supplier: ProcessorSupplier<K, V, KR, VR>, ...args: Array<Named | string>): KStream<KR, VR> {
    const named = args.find((a): a is Named => a instanceof Named);
    const stores = args.filter((a): a is string => typeof a === "string");
    const name = this.nameFor(named, "KSTREAM-PROCESSOR-");
    this.builder.topology.addProcessor(name, supplier, this.name);
    if (stores.length) this.builder.topology.connectProcessorAndStateStores(name, ...stores);
    return new KStream<KR, VR>(this.builder, name, undefined, undefined, true);
  }

  processValues<VR>(supplier: FixedKeyProcessorSupplier<K, V, VR>, ...args: Array<Named | string>): KStream<K, VR> {
    const named = args.find((a): a is Named => a instanceof Named);
    const stores = args.filter((a): a is string => typeof a === "string");
    const name = this.nameFor(named, "KSTREAM-PROCESSVALUES-");
    this.builder.topology.addProcessor(name, () => {
      const p = supply(supplier);
      let currentKey: K;
      let hasKey = false;
      return {
        init(ctx: ProcessorContext<K, VR>) {
          // The key of a forwarded record is forced back to the input key: processValues cannot re-key.
          const fixed: FixedKeyProcessorContext<K, VR> = {
            ...ctx,
            forward: (r: Record<K, VR>, child?: string) => ctx.forward(hasKey ? r.withKey(currentKey) : r, child),
          };
          p.init?.(fixed);
        },
        process(r: Record<K, V>) {
          currentKey = r.key();
          hasKey = true;
          try {
            p.process(r);
          } finally {
            hasKey = false;
          }
        },
        close() {
          p.close?.();
        },
      };
    }, this.name);
    if (stores.length) this.builder.topology.connectProcessorAndStateStores(name, ...stores);
    return new KStream<K, VR>(this.builder, name, this.keySerde, undefined, this.repartitionRequired);
  }

  /**
   * join(otherStream, joiner, JoinWindows, StreamJoined?) — windowed stream-stream inner join;
   * join(table, joiner, Joined?) — stream-table; join(globalTable, keySelector, joiner, Named?) — stream-globalTable.
   */
  join<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<K, V, VO, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  join<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<K, V, VT, VR>, joined?: Joined<K, V, VT>): KStream<K, VR>;
  join<GK, GV, VR>(global: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: ValueJoiner<K, V, GV, VR>, named?: Named): KStream<K, VR>;
  join(other: unknown, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.doJoin(other, a, b, c, false, false);
  }
  leftJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<K, V, VO | null, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR>;
  leftJoin<VT, VR>(table: KTable<K, VT>, joiner: ValueJoiner<K, V, VT | null, VR>, joined?: Joined<K, V, VT>): KStream<K, VR>;
  leftJoin<GK, GV, VR>(global: GlobalKTable<GK, GV>, keySelector: (key: K, value: V) => GK, joiner: ValueJoiner<K, V, GV | null, VR>, named?: Named): KStream<K, VR>;
  leftJoin(other: unknown, a: unknown, b?: unknown, c?: unknown): KStream<K, unknown> {
    return this.doJoin(other, a, b, c, true, false);
  }
  outerJoin<VO, VR>(other: KStream<K, VO>, joiner: ValueJoiner<K, V | null, VO | null, VR>, windows: JoinWindows, streamJoined?: StreamJoined<K, V, VO>): KStream<K, VR> {
    return streamStreamJoin(this, other, joiner as ValueJoiner<K, V, VO | null, VR>, windows, streamJoined, true, true);
  }

  private doJoin(other: unknown, a: unknown, b: unknown, c: unknown, left: boolean, _right: boolean): KStream<K, unknown> {
    type J = ValueJoiner<K, V, unknown, unknown>;
    if (other instanceof KStream) return streamStreamJoin(this, other as KStream<K, unknown>, a as J, b as JoinWindows, c as StreamJoined<K, V, unknown> | undefined, left, false);
    if (other instanceof KTable) return streamTableJoin(this, other as KTable<K, unknown>, a as J, b as Joined<K, V, unknown> | undefined, left);
    if (other instanceof GlobalKTable) return streamGlobalTableJoin(this, other as GlobalKTable<unknown, unknown>, a as (k: K, v: V) => unknown, b as J, left, (c as Named | undefined)?.name);
    throw new Error("join: the other side must be a KStream, KTable or GlobalKTable");
  }
}
