/**
 * KTable-KTable joins (Kafka's KTableKTableInnerJoin / LeftJoin / RightJoin / OuterJoin): each side's
 * update looks up the other side's current value; results carry max(both timestamps).
 */
import type { Materialized, Named } from "./dsl-options.ts";
import { Change } from "./internal-builder.ts";
import { KTable } from "./ktable.ts";
import type { ValueGetterSupplier } from "./ktable.ts";
import { keyValueStore, storeNameFor } from "./materialize.ts";
import type { Processor, ProcessorContext, Record } from "./processor.ts";
import type { TimestampedKeyValueStore, ValueAndTimestamp } from "./state/state-store.ts";

type Mode = "inner" | "left" | "right" | "outer";

function joinSide<K, VThis, VOther, VR>(
  getter: ValueGetterSupplier<K, VOther>,
  mode: Mode,
  joiner: (thisValue: VThis | null, otherValue: VOther | null) => VR,
): () => Processor<K, Change<VThis>, K, Change<VR>> {
  return () => {
    let ctx!: ProcessorContext<K, Change<VR>>;
    let get!: (k: K) => ValueAndTimestamp<VOther> | null;
    return {
      init(c) {
        ctx = c;
        get = getter.get(c as ProcessorContext<unknown, unknown>);
      },
      process(r: Record<K, Change<VThis>>) {
        if (r.key() === null || r.key() === undefined) return;
        const other = get(r.key());
        const c = r.value();
        let nv: VR | null = null;
        let ov: VR | null = null;
        let ts = r.timestamp();
        if (mode === "inner" || mode === "right") {
          // right = the right-hand side of a left join: no left value, no result.
          if (other === null) return;
          ts = Math.max(ts, other.timestamp);
          if (mode === "inner") {
            if (c.newValue !== null) nv = joiner(c.newValue, other.value);
            if (c.oldValue !== null) ov = joiner(c.oldValue, other.value);
          } else {
            nv = joiner(c.newValue, other.value);
            ov = joiner(c.oldValue, other.value);
          }
        } else {
          if (other === null && c.newValue === null && c.oldValue === null) return;
          if (other !== null) ts = Math.max(ts, other.timestamp);
          if (mode === "left") {
            if (c.newValue !== null) nv = joiner(c.newValue, other ? other.value : null);
            if (c.oldValue !== null) ov = joiner(c.oldValue, other ? other.value : null);
          } else {
            if (c.newValue !== null || other !== null) nv = joiner(c.newValue, other ? other.value : null);
            if (c.oldValue !== null || other !== null) ov = joiner(c.oldValue, other ? other.value : null);
          }
        }
        ctx.forward(r.withValue(new Change(nv, ov)).withTimestamp(ts));
      },
    };
  };
}

export function tableTableJoin<K, V, VO, VR>(
  self: KTable<K, V>,
  other: KTable<K, VO>,
  joiner: (value: V | null, otherValue: VO | null) => VR,
  leftOuter: boolean,
  rightOuter: boolean,
  named?: Named,
  materialized?: Materialized<K, VR>,
): KTable<K, VR> {
  const b = self.builder;
  const store = materialized ? storeNameFor(b, materialized as Materialized<unknown, unknown>, "KTABLE-MERGE-") : undefined;
  const merge = named?.name ?? b.newProcessorName("KTABLE-MERGE-");
  const joinThis = named?.name ? `${named.name}-join-this` : b.newProcessorName("KTABLE-JOINTHIS-");
  const joinOther = named?.name ? `${named.name}-join-other` : b.newProcessorName("KTABLE-JOINOTHER-");
  const thisGetter = self.valueGetterSupplier();
  const otherGetter = other.valueGetterSupplier();
  const thisMode: Mode = !leftOuter ? "inner" : rightOuter ? "outer" : "left";
  const otherMode: Mode = !leftOuter ? "inner" : rightOuter ? "outer" : "right";
  const t = b.topology;
  t.addProcessor(joinThis, joinSide<K, V, VO, VR>(otherGetter, thisMode, joiner), self.name);
  t.addProcessor(joinOther, joinSide<K, VO, V, VR>(thisGetter, otherMode, (o, s) => joiner(s, o)), other.name);
  const storeName = store?.name;
  t.addProcessor(merge, (): Processor<K, Change<VR>, K, Change<VR>> => {
    let ctx!: ProcessorContext<K, Change<VR>>;
    return {
      init(c) { ctx = c; },
      process(r) {
        if (storeName) ctx.getStateStore<TimestampedKeyValueStore<K, VR>>(storeName).put(r.key(), r.value().newValue === null ? null : { value: r.value().newValue as VR, timestamp: r.timestamp() });
        ctx.forward(r);
      },
    };
  }, joinThis, joinOther);
  t.connectProcessorAndStateStores(joinThis, ...otherGetter.stores);
  t.connectProcessorAndStateStores(joinOther, ...thisGetter.stores);
  let info;
  if (store) {
    const ms = keyValueStore(store, materialized, self.keySerde, materialized?.valueSerde);
    t.addStateStore(ms.builder, merge);
    info = { storeName: ms.storeName, queryable: ms.queryable };
  }
  return new KTable<K, VR>(b, merge, materialized?.keySerde ?? self.keySerde, materialized?.valueSerde, info);
}
