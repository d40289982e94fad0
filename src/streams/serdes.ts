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
const TWO_32 = 2 ** 32;
/**
 * 8-byte big-endian two's complement without BigInt for safe integers (timestamps, counts): BigInt
 * conversions were a visible share of a word count's CPU. Beyond 2^53 it falls back to BigInt.
 */
export function writeInt64BE(b: Buffer, v: number | bigint, offset = 0): void {
  if (typeof v === "number" && Number.isSafeInteger(v)) {
    const hi = Math.floor(v / TWO_32);
    b.writeInt32BE(hi, offset);
    b.writeUInt32BE(v - hi * TWO_32, offset + 4);
  } else {
    b.writeBigInt64BE(typeof v === "bigint" ? v : BigInt(Math.trunc(v)), offset);
  }
}
/** Inverse of writeInt64BE: a number when exact (|n| ≤ 2^53 − 1), else a bigint. */
export function readInt64BE(b: Buffer, offset = 0): number | bigint {
  const hi = b.readInt32BE(offset);
  // |hi| < 2^21 keeps hi * 2^32 + lo within the safe range.
  if (hi < 0x200000 && hi >= -0x200000) return hi * TWO_32 + b.readUInt32BE(offset + 4);
  const n = b.readBigInt64BE(offset);
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : n;
}
/** readInt64BE for values known to fit a number (timestamps). */
export function readInt64Number(b: Buffer, offset = 0): number {
  return Number(readInt64BE(b, offset));
}

const longSerde = serdeFrom<number | bigint>(
  (v) => {
    const b = Buffer.allocUnsafe(8);
    writeInt64BE(b, v);
    return b;
  },
  (b) => {
    expectSize("Long", 8, b);
    // Numbers are friendlier in JS; keep exactness by returning a bigint only beyond 2^53.
    return readInt64BE(b);
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
