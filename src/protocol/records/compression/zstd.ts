import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { zlibError, zlibLimit } from './zlib-errors.ts';

/** zstd from Node 24's built-in zlib: no native addon, so it works inside the single executable. */
const compressCb = promisify(zlib.zstdCompress);
const decompressCb = promisify(zlib.zstdDecompress);

export const compressZstd = (data: Uint8Array): Buffer => zlib.zstdCompressSync(data);
export const compressZstdAsync = (data: Uint8Array): Promise<Buffer> => compressCb(data);

export function decompressZstd(data: Uint8Array, limit: number): Buffer {
  try {
    return zlib.zstdDecompressSync(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('zstd', limit, err);
  }
}

export async function decompressZstdAsync(data: Uint8Array, limit: number): Promise<Buffer> {
  try {
    return await decompressCb(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('zstd', limit, err);
  }
}
