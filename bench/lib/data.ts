/**
 * Input files for producers, generated once per run into the run's temp dir: N lines whose value is
 * exactly `size` bytes (plain) or JSON lines in kstream's envelope (`{"key":…,"value":…}`). Values
 * differ line to line (a counter) so nothing downstream can cheat on repeated bytes.
 */
import { closeSync, existsSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const FILL = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function filler(len: number, seed: number): string {
  let s = '';
  while (s.length < len) s += FILL;
  const k = seed % FILL.length;
  return (s.slice(k) + s.slice(0, k)).slice(0, len);
}

export interface RecordsFile {
  path: string;
  count: number;
  /** Bytes of one value (plain) or the average line without newline (json). */
  valueBytes: number;
  /** Total value bytes (sum of line lengths without the newline). */
  payloadBytes: number;
  fileBytes: number;
}

/** Plain lines: each line is `size` bytes of value plus '\n'. */
export function plainRecords(dir: string, count: number, size: number): RecordsFile {
  const path = join(dir, `plain-${count}x${size}.txt`);
  if (!existsSync(path)) {
    const fd = openSync(path, 'w');
    const tail = filler(size, 7);
    let chunk = '';
    for (let i = 0; i < count; i++) {
      const id = String(i).padStart(10, '0');
      chunk += id + tail.slice(id.length) + '\n';
      if (chunk.length >= 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
  }
  const fileBytes = statSync(path).size;
  return { path, count, valueBytes: size, payloadBytes: fileBytes - count, fileBytes };
}

/** JSON lines in the consume --format json envelope, about 100 bytes each. */
export function jsonRecords(dir: string, count: number): RecordsFile {
  const path = join(dir, `json-${count}.jsonl`);
  if (!existsSync(path)) {
    const fd = openSync(path, 'w');
    let chunk = '';
    for (let i = 0; i < count; i++) {
      chunk += `{"key":"user-${i % 1000}","value":{"id":${i},"kind":"click","page":"/p/${i % 97}","note":"${filler(24, i)}"}}\n`;
      if (chunk.length >= 1 << 20) {
        writeSync(fd, chunk);
        chunk = '';
      }
    }
    writeSync(fd, chunk);
    closeSync(fd);
  }
  const fileBytes = statSync(path).size;
  return { path, count, valueBytes: Math.round((fileBytes - count) / count), payloadBytes: fileBytes - count, fileBytes };
}
