import { promisify } from 'node:util';
import { zlibError, zlibLimit } from './zlib-errors.ts';
import { zlib } from './zlib.ts';

/** zstd from Node 24's built-in zlib: no native addon, so it works inside the single executable. */

export const compressZstd = (data: Uint8Array): Buffer => zlib().zstdCompressSync(data);
export const compressZstdAsync = (data: Uint8Array): Promise<Buffer> => promisify(zlib().zstdCompress)(data);

export function decompressZstd(data: Uint8Array, limit: number): Buffer {
  try {
    return zlib().zstdDecompressSync(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('zstd', limit, err);
  }
}

export async function decompressZstdAsync(data: Uint8Array, limit: number): Promise<Buffer> {
  try {
    return await promisify(zlib().zstdDecompress)(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('zstd', limit, err);
  }
}
