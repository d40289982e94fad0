import { DecompressedSizeLimitError, invalidRecord } from '../errors.ts';

/** Maps a zlib failure to the typed record error: output past `maxOutputLength` is the size limit. */
export function zlibError(codec: string, limit: number, err: unknown): Error {
  if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return new DecompressedSizeLimitError(codec, limit);
  return invalidRecord(`${codec} records do not decompress: ${(err as Error).message}`, err);
}

/** zlib rejects maxOutputLength outside [1, 2^31-1]; clamp so any caller-provided limit is legal. */
export const zlibLimit = (limit: number): number => Math.max(1, Math.min(Math.floor(limit), 2 ** 31 - 1));
