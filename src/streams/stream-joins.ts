/**
 * Wiring of KStream joins into the topology with Kafka's node and store names: stream-stream
 * (KStreamImplJoin), stream-table (KStreamKTableJoin) and stream-globalTable (KStreamGlobalKTableJoin).
 */
import { Joined, StreamJoined } from "./dsl-options.ts";
import { fnProcessor } from "./internal-builder.ts";
import { addRepartition, KStream } from "./kstream.ts";
import type { KTable } from "./ktable.ts";
import type { Processor, ProcessorContext, Record } from "./processor.ts";
import { joinWindowProcessor, outerJoinStoreBuilder, streamStreamJoinSide, TimeTracker } from "./processors/stream-stream-join.ts";
import type { Serde } from "./serdes.ts";
import { Stores } from "./state/stores.ts";
import type { TimestampedKeyValueStore } from "./state/state-store.ts";
import type { GlobalKTable } from "./streams-builder.ts";
import type { JoinWindows } from "./windows.ts";

/** Kafka's ValueJoiner (v1, v2) or ValueJoinerWithKey (key, v1, v2): told apart by arity. */
export type ValueJoiner<K, V1, V2, VR> = ((value1: V1, value2: V2) => VR) | ((key: K, value1: V1, value2: V2) => VR);
export function withKey<K, V1, V2, VR>(j: ValueJoiner<K, V1, V2, VR>): (k: K, v1: V1, v2: V2) => VR {
  return j.length >= 3 ? (j as (k: K, a: V1, b: V2) => VR) : (_k, a, b) => (j as (a: V1, b: V2) => VR)(a, b);
}

function ensureRepartitioned<K, V>(s: KStream<K, V>, prefix: string, keySerde: Serde<K> | undefined, valueSerde: Serde<V> | undefined): KStream<K, V> {
  if (!s.repartitionRequired) return s;
  const source = addRepartition(s.builder, s.name, prefix, keySerde as Serde<unknown>, valueSerde as Serde<unknown>);
  return new KStream<K, V>(s.builder, source, keySerde, valueSerde, false);
}

export function streamStreamJoin<K, V1, V2, VR>(
  leftIn: KStream<K, V1>,
  rightIn: KStream<K, V2>,
  joiner: ValueJoiner<K, V1, V2 | null, VR> | ValueJoiner<K, V1 | null, V2 | null, VR>,
  windows: JoinWindows,
  sj: StreamJoined<K, V1, V2> = StreamJoined.with(),
  leftOuter: boolean,
  rightOuter: boolean,
): KStream<K, VR> {
  const b = leftIn.builder;
  const ks = sj.keySerde ?? leftIn.keySerde;
  const left = ensureRepartitioned(leftIn, sj.name ? `${sj.name}-left` : leftIn.name, ks, sj.valueSerde ?? leftIn.valueSerde);
  const right = ensureRepartitioned(rightIn, sj.name ? `${sj.name}-right` : rightIn.name, ks, sj.otherValueSerde ?? rightIn.valueSerde);
  const n = sj.name;
  const thisWindowed = n ? `${n}-this-windowed` : b.newProcessorName("KSTREAM-WINDOWED-");
  const otherWindowed = n ? `${n}-other-windowed` : b.newProcessorName("KSTREAM-WINDOWED-");
  const thisGen = b.newProcessorName(rightOuter ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-");
  const otherGen = b.newProcessorName(leftOuter ? "KSTREAM-OUTEROTHER-" : "KSTREAM-JOINOTHER-");
  const thisSuffix = rightOuter ? "-outer-this-join" : "-this-join";
  const otherSuffix = leftOuter ? "-outer-other-join" : "-other-join";
  const joinThis = n ? n + thisSuffix : thisGen;
  const joinOther = n ? n + otherSuffix : otherGen;
  const merge = n ? `${n}-merge` : b.newProcessorName("KSTREAM-MERGE-");
  const thisStore = `${sj.storeName ? sj.storeName + thisSuffix : thisGen}-store`;
  const otherStore = `${sj.storeName ? sj.storeName + otherSuffix : otherGen}-store`;
  const outerStore = leftOuter
    ? sj.storeName
      ? `${sj.storeName}${rightOuter ? "-outer-shared-join" : "-left-shared-join"}-store`
      : `KSTREAM-OUTERSHARED-${thisGen.slice((rightOuter ? "KSTREAM-OUTERTHIS-" : "KSTREAM-JOINTHIS-").length)}-store`
    : undefined;

  const retention = windows.size() + windows.gracePeriodMs();
  const t = b.topology;
  const trackers = new Map<string, TimeTracker>();
  const tracker = (ctx: ProcessorContext<unknown, unknown>): TimeTracker => {
    const id = `${ctx.taskId().subtopology}_${ctx.taskId().partition}`;
    let tr = trackers.get(id);
    if (!tr) trackers.set(id, (tr = new TimeTracker()));
    return tr;
  };
  const j = withKey(joiner as ValueJoiner<K, V1 | null, V2 | null, VR>);
  t.addProcessor(thisWindowed, joinWindowProcessor<K, V1>(thisStore), left.name);
  t.addProcessor(otherWindowed, joinWindowProcessor<K, V2>(otherStore), right.name);
  t.addProcessor(joinThis, streamStreamJoinSide<K, V1, V2, VR>({ otherStoreName: otherStore, isLeftSide: true, windows, joiner: j, outer: leftOuter, outerStoreName: outerStore, tracker }), thisWindowed);
  t.addProcessor(joinOther, streamStreamJoinSide<K, V2, V1, VR>({ otherStoreName: thisStore, isLeftSide: false, windows, joiner: (k, v2, v1) => j(k, v1, v2), outer: rightOuter, outerStoreName: outerStore, tracker }), otherWindowed);
  t.addProcessor(merge, fnProcessor<K, VR, K, VR>((ctx, r) => ctx.forward(r)), joinThis, joinOther);
  // The DSL's default: persistent (sqlite in the task directory) when the app has a state.dir.
  const joinStore = (name: string) => ({ ...Stores.inMemoryWindowStore(name, retention, windows.size(), true), persistent: "auto" as const });
  const thisB = Stores.windowStoreBuilder<K, V1>(joinStore(thisStore), ks, sj.valueSerde ?? left.valueSerde);
  const otherB = Stores.windowStoreBuilder<K, V2>(joinStore(otherStore), ks, sj.otherValueSerde ?? right.valueSerde);
  if (!sj.loggingEnabled) {
    thisB.withLoggingDisabled();
    otherB.withLoggingDisabled();
  }
  t.addStateStore(thisB, thisWindowed, joinOther);
  t.addStateStore(otherB, otherWindowed, joinThis);
  if (outerStore) t.addStateStore(outerJoinStoreBuilder(outerStore, ks as Serde<unknown>), joinThis, joinOther);
  return new KStream<K, VR>(b, merge, sj.keySerde, undefined, false);
}

export function streamTableJoin<K, V, VT, VR>(
  streamIn: KStream<K, V>,
  table: KTable<K, VT>,
  joiner: ValueJoiner<K, V, VT | null, VR>,
  joined: Joined<K, V, VT> = Joined.with(),
  left: boolean,
): KStream<K, VR> {
  const b = streamIn.builder;
  const stream = ensureRepartitioned(streamIn, joined.name ?? streamIn.name, joined.keySerde ?? streamIn.keySerde ?? table.keySerde, joined.valueSerde ?? streamIn.valueSerde);
  const name = joined.name ?? b.newProcessorName(left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
  const getter = table.valueGetterSupplier();
  const j = withKey(joiner);
  b.topology.addProcessor(name, (): Processor<K, V, K, VR> => {
    let ctx!: ProcessorContext<K, VR>;
    let get!: (k: K) => { value: VT } | null;
    return {
      init(c: ProcessorContext<K, VR>) {
        ctx = c;
        get = getter.get(c as ProcessorContext<unknown, unknown>);
      },
      process(r: Record<K, V>) {
        if (r.value() === null || r.value() === undefined) return;
        const noKey = r.key() === null || r.key() === undefined;
        if (noKey && !left) return;
        const tv = noKey ? null : get(r.key());
        if (!left && tv === null) return;
        ctx.forward(r.withValue(j(r.key(), r.value(), tv ? tv.value : null)));
      },
    };
  }, stream.name);
  b.topology.connectProcessorAndStateStores(name, ...getter.stores);
  return new KStream<K, VR>(b, name, stream.keySerde, undefined, false);
}

export function streamGlobalTableJoin<K, V, GK, GV, VR>(
  stream: KStream<K, V>,
  global: GlobalKTable<GK, GV>,
  keySelector: (key: K, value: V) => GK,
  joiner: ValueJoiner<K, V, GV | null, VR>,
  left: boolean,
  processorName?: string,
): KStream<K, VR> {
  const b = stream.builder;
  const name = processorName ?? b.newProcessorName(left ? "KSTREAM-LEFTJOIN-" : "KSTREAM-JOIN-");
  const j = withKey(joiner);
  b.topology.addProcessor(name, fnProcessor<K, V, K, VR>((ctx, r) => {
    if (r.value() === null || r.value() === undefined) return;
    const gk = keySelector(r.key(), r.value());
    const hit = gk === null || gk === undefined ? null : ctx.getStateStore<TimestampedKeyValueStore<GK, GV>>(global.storeName).get(gk);
    if (!left && hit === null) return;
    ctx.forward(r.withValue(j(r.key(), r.value(), hit ? hit.value : null)));
  }), stream.name);
  return new KStream<K, VR>(b, name, stream.keySerde, undefined, stream.repartitionRequired);
}
