/**
 * What the DSL classes share: the topology being written, Kafka's name generation (one counter for
 * processors and stores, ten-digit suffix), and the Change value KTables forward downstream.
 */
import type { Processor, ProcessorContext } from "./processor.ts";
import type { Serde } from "./serdes.ts";
import { Topology } from "./topology.ts";

/** A KTable update: the new value and, when known, the value it replaces (Kafka's Change). */
export class Change<V> {
  readonly newValue: V | null;
  readonly oldValue: V | null;
  constructor(newValue: V | null, oldValue: V | null) {
    this.newValue = newValue;
    this.oldValue = oldValue;
  }
}

export class InternalStreamsBuilder {
  readonly topology = new Topology();
  private index = 0;

  private next(): string {
    return String(this.index++).padStart(10, "0");
  }
  newProcessorName(prefix: string): string {
    return prefix + this.next();
  }
  newStoreName(prefix: string): string {
    return `${prefix}STATE-STORE-${this.next()}`;
  }
}

/** A processor from a function; `ctx` is captured at init. Used for the DSL's stateless operators. */
export function fnProcessor<KIn, VIn, KOut, VOut>(
  process: (ctx: ProcessorContext<KOut, VOut>, record: import("./processor.ts").Record<KIn, VIn>) => void,
  init?: (ctx: ProcessorContext<KOut, VOut>) => void,
): () => Processor<KIn, VIn, KOut, VOut> {
  return () => {
    let ctx!: ProcessorContext<KOut, VOut>;
    return {
      init(c) {
        ctx = c;
        init?.(c);
      },
      process(record) {
        process(ctx, record);
      },
    };
  };
}

/**
 * Serde for Change values on a KTable's repartition topic (groupBy): flags byte (1 = new present,
 * 2 = old present), then 4-byte length + bytes of each present value. Internal to the app.
 */
export function changeSerde<V>(inner: Serde<V> | undefined): Serde<Change<V>> | undefined {
  if (!inner) return undefined;
  return {
    serializer: () => ({
      serialize: (t, c) => {
        if (c === null) return null;
        const n = c.newValue === null ? null : inner.serializer().serialize(t, c.newValue);
        const o = c.oldValue === null ? null : inner.serializer().serialize(t, c.oldValue);
        const parts: Buffer[] = [Buffer.from([(n ? 1 : 0) | (o ? 2 : 0)])];
        for (const p of [n, o]) {
          if (!p) continue;
          const len = Buffer.alloc(4);
          len.writeInt32BE(p.length);
          parts.push(len, p);
        }
        return Buffer.concat(parts);
      },
    }),
    deserializer: () => ({
      deserialize: (t, b) => {
        if (b === null) return null;
        const flags = b[0]!;
        let pos = 1;
        const read = (): V | null => {
          const len = b.readInt32BE(pos);
          const v = inner.deserializer().deserialize(t, b.subarray(pos + 4, pos + 4 + len));
          pos += 4 + len;
          return v;
        };
        const n = flags & 1 ? read() : null;
        const o = flags & 2 ? read() : null;
        return new Change(n, o);
      },
    }),
  };
}
