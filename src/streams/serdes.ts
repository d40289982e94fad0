/**
 * Serdes byte-compatible with Kafka's org.apache.kafka.common.serialization.Serdes:
 * Long is 8-byte big-endian two's complement, Integer 4-byte, Double IEEE-754 big-endian,
 * String UTF-8. `null` serializes to `null` (a Kafka tombstone) and back, as in Kafka.
 */
export interface Serializer<T> {
  serialize(topic: string, data: T | null): Buffer | null;
}
export interface Deserializer<T> {
  deserialize(topic: string, data: Buffer | null): T | null;
}
export interface Serde<T> {
  serializer(): Serializer<T>;
  deserializer(): Deserializer<T>;
}

/** Build a Serde from two functions; null handling (tombstones) is done here once. */
export function serdeFrom<T>(ser: (data: T) => Buffer, de: (data: Buffer) => T): Serde<T> {
  const serializer: Serializer<T> = { serialize: (_t, d) => (d === null || d === undefined ? null : ser(d)) };
  const deserializer: Deserializer<T> = { deserialize: (_t, b) => (b === null || b === undefined ? null : de(b)) };
  return { serializer: () => serializer, deserializer: () => deserializer };
}

function expectSize(name: string, size: number, b: Buffer): void {
  if (b.length !== size) {
    throw new Error(`Size of data received by ${name}Deserializer is not ${size} (got ${b.length} bytes)`);
  }
}

const stringSerde = serdeFrom<string>((s) => Buffer.from(s, "utf8"), (b) => b.toString("utf8"));
const longSerde = serdeFrom<number | bigint>(
  (v) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(typeof v === "bigint" ? v : BigInt(Math.trunc(v)));
    return b;
  },
  (b) => {
    expectSize("Long", 8, b);
    const n = b.readBigInt64BE();
    // Numbers are friendlier in JS; keep exactness by returning a bigint only beyond 2^53.
    return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
  },
);
const integerSerde = serdeFrom<number>(
  (v) => {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v | 0);
    return b;
  },
  (b) => {
    expectSize("Integer", 4, b);
    return b.readInt32BE();
  },
);
const doubleSerde = serdeFrom<number>(
  (v) => {
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return b;
  },
  (b) => {
    expectSize("Double", 8, b);
    return b.readDoubleBE();
  },
);
const byteArraySerde = serdeFrom<Buffer>((v) => Buffer.from(v), (b) => Buffer.from(b));
const voidSerde: Serde<null> = {
  serializer: () => ({ serialize: () => null }),
  deserializer: () => ({
    deserialize: (_t, b) => {
      if (b !== null && b !== undefined) throw new Error("Data should be null for a VoidDeserializer.");
      return null;
    },
  }),
};

export const Serdes = {
  String: (): Serde<string> => stringSerde,
  /** Kafka's LongSerde; deserializes to number (or bigint beyond 2^53), accepts both. */
  Long: (): Serde<number> => longSerde as Serde<number>,
  Integer: (): Serde<number> => integerSerde,
  Double: (): Serde<number> => doubleSerde,
  ByteArray: (): Serde<Buffer> => byteArraySerde,
  Bytes: (): Serde<Buffer> => byteArraySerde,
  Void: (): Serde<null> => voidSerde,
  /** JSON text in UTF-8 (what Kafka's JsonSerializer/Connect's JSON converter without schemas write). */
  JSON: <T = unknown>(): Serde<T> =>
    serdeFrom<T>((v) => Buffer.from(JSON.stringify(v), "utf8"), (b) => JSON.parse(b.toString("utf8")) as T),
  serdeFrom,
};
