import { RecordErrorCode, RecordValidationError } from '../errors.ts';
import { compressionName, type CompressionCodec } from './codec-ids.ts';
import { compressGzip, compressGzipAsync, decompressGzip, decompressGzipAsync } from './gzip.ts';
import { compressLz4, decompressLz4 } from './lz4.ts';
import { compressSnappy, decompressSnappy } from './snappy.ts';
import { compressZstd, compressZstdAsync, decompressZstd, decompressZstdAsync } from './zstd.ts';

export * from './codec-ids.ts';

/**
 * One entry point per direction for the records region of a batch. Sync variants suit small batches
 * and the validator; the async ones run gzip/zstd on libuv's thread pool so a large batch does not
 * stall the event loop (snappy and lz4 are pure JS and run inline either way).
 */
function unsupported(codec: number): RecordValidationError {
  return new RecordValidationError(
    RecordErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
    `compression codec ${compressionName(codec)} is not supported`,
  );
}

export function compress(codec: CompressionCodec, data: Uint8Array): Buffer {
  switch (codec) {
    case 0:
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 1:
      return compressGzip(data);
    case 2:
      return compressSnappy(data);
    case 3:
      return compressLz4(data);
    case 4:
      return compressZstd(data);
    default:
      throw unsupported(codec);
  }
}

export async function compressAsync(codec: CompressionCodec, data: Uint8Array): Promise<Buffer> {
  if (codec === 1) return compressGzipAsync(data);
  if (codec === 4) return compressZstdAsync(data);
  return compress(codec, data);
}

/** Decompresses at most `limit` bytes; past that, DecompressedSizeLimitError (MESSAGE_TOO_LARGE). */
export function decompress(codec: number, data: Uint8Array, limit: number): Buffer {
  switch (codec) {
    case 0:
      return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    case 1:
      return decompressGzip(data, limit);
    case 2:
      return decompressSnappy(data, limit);
    case 3:
      return decompressLz4(data, limit);
    case 4:
      return decompressZstd(data, limit);
    default:
      throw unsupported(codec);
  }
}

export async function decompressAsync(codec: number, data: Uint8Array, limit: number): Promise<Buffer> {
  if (codec === 1) return decompressGzipAsync(data, limit);
  if (codec === 4) return decompressZstdAsync(data, limit);
  return decompress(codec, data, limit);
}
