/**
 * Compression codec ids as stored in bits 0–2 of a batch's attributes (and of a legacy message's
 * attributes). Names match Kafka's `compression.type` values.
 */
export const Compression = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionName = keyof typeof Compression;
export type CompressionCodec = (typeof Compression)[CompressionName];

const NAMES: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export const isCompressionCodec = (id: number): id is CompressionCodec => Number.isInteger(id) && id >= 0 && id <= 4;

/** 'gzip' for 1, … ; `unknown(5)` for ids Kafka does not define. */
export const compressionName = (id: number): string => (isCompressionCodec(id) ? NAMES[id]! : `unknown(${id})`);

/** Accepts a codec id or a name as in Kafka's `compression.type` (case-insensitive). */
export function toCompressionCodec(c: CompressionCodec | CompressionName | string | number): CompressionCodec {
  if (typeof c === 'number') {
    if (isCompressionCodec(c)) return c;
    throw new RangeError(`unknown compression codec id ${c}`);
  }
  const id = (Compression as Record<string, number>)[c.toLowerCase()];
  if (id === undefined) throw new RangeError(`unknown compression '${c}' (expected none, gzip, snappy, lz4 or zstd)`);
  return id as CompressionCodec;
}

/**
 * Default ceiling for one batch's decompressed records: 64 MiB. Kafka's message.max.bytes is 1 MiB
 * compressed; real batches compress at most ~10–50×, so this leaves honest data room while a bomb
 * stops long before it can exhaust memory.
 */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;
