import type * as Zlib from 'node:zlib';

let zlibModule: typeof Zlib | undefined;

/**
 * Node's zlib, loaded on first use: most batches are uncompressed, and importing it up front would
 * cost every start-up (`kstream --version`, `serve`) for nothing.
 */
export const zlib = (): typeof Zlib => (zlibModule ??= process.getBuiltinModule('node:zlib'));
