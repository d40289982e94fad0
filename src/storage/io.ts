import * as fsp from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The file operations storage performs, as one injectable object. Production uses node:fs/promises;
 * tests wrap it to inject disk faults (ENOSPC, EIO) where a real full disk is not available.
 * A node FileHandle satisfies StorageFile structurally.
 */
export interface StorageFile {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  read(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  truncate(len: number): Promise<void>;
  datasync(): Promise<void>;
  sync(): Promise<void>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
}

export interface StorageIO {
  open(path: string, flags: string): Promise<StorageFile>;
  mkdir(path: string, opts: { recursive: true }): Promise<unknown>;
  readdir(path: string): Promise<string[]>;
  rm(path: string, opts: { recursive?: boolean; force?: boolean }): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  stat(path: string): Promise<{ size: number; mtimeMs: number; isDirectory(): boolean }>;
  readFile(path: string): Promise<Buffer>;
}

export const nodeIO: StorageIO = {
  open: (path, flags) => fsp.open(path, flags),
  mkdir: (path, opts) => fsp.mkdir(path, opts),
  readdir: (path) => fsp.readdir(path),
  rm: (path, opts) => fsp.rm(path, opts),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  stat: (path) => fsp.stat(path),
  readFile: (path) => fsp.readFile(path),
};

/** Reads exactly `length` bytes at `position` (fewer only at end of file). */
export async function readFully(file: StorageFile, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(buf, offset + done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done;
}

/** Writes all of buf[offset, offset+length) at `position`; a short write is continued, not ignored. */
export async function writeFully(file: StorageFile, buf: Uint8Array, offset: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    const { bytesWritten } = await file.write(buf, offset + done, length - done, position + done);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    done += bytesWritten;
  }
}

/**
 * Replaces `path` atomically: write a temp file, fsync it, rename over the target, fsync the directory.
 * A crash leaves either the old or the new content, never a torn file.
 */
export async function writeFileAtomic(io: StorageIO, path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await io.open(tmp, 'w');
  try {
    await writeFully(fh, data, 0, data.length, 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await io.rename(tmp, path);
  await syncDir(io, dirname(path));
}

export async function syncDir(io: StorageIO, dir: string): Promise<void> {
  let fh: StorageFile | undefined;
  try {
    fh = await io.open(dir, 'r');
    await fh.sync();
  } catch (e) {
    // Some platforms/filesystems cannot fsync a directory (EISDIR/EINVAL/EPERM); the rename is still atomic.
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  } finally {
    await fh?.close();
  }
}

export const isNotFound = (e: unknown): boolean => (e as NodeJS.ErrnoException)?.code === 'ENOENT';
