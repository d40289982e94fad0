import { promisify } from 'node:util';
import { zlibError, zlibLimit } from './zlib-errors.ts';
import { zlib } from './zlib.ts';

/**
 * gzip from Node's built-in zlib (works in a single executable). `maxOutputLength` makes zlib stop
 * as soon as the output passes the limit, so a bomb costs at most `limit` bytes. Concatenated gzip
 * members (which some producers write) decode as one stream.
 */

export const compressGzip = (data: Uint8Array): Buffer => zlib().gzipSync(data);
export const compressGzipAsync = (data: Uint8Array): Promise<Buffer> => promisify(zlib().gzip)(data);

export function decompressGzip(data: Uint8Array, limit: number): Buffer {
  try {
    return zlib().gunzipSync(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('gzip', limit, err);
  }
}

export async function decompressGzipAsync(data: Uint8Array, limit: number): Promise<Buffer> {
  try {
    return await promisify(zlib().gunzip)(data, { maxOutputLength: zlibLimit(limit) });
  } catch (err) {
    throw zlibError('gzip', limit, err);
  }
}
