/** The machine's limits, measured in the same run as kstream so ratios survive a noisy machine. */
import { closeSync, fdatasyncSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { check, killGroup, run, start } from './proc.ts';

/** Sequential write + fdatasync of `bytes` into a file in `dir` (the data dir's filesystem); ms. */
export function diskWriteMs(dir: string, bytes: number): number {
  const path = join(dir, `disk-ref-${process.pid}.bin`);
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  const t0 = performance.now();
  const fd = openSync(path, 'w');
  try {
    let left = bytes;
    while (left > 0) {
      const n = Math.min(left, chunk.length);
      writeSync(fd, chunk, 0, n);
      left -= n;
    }
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  const ms = performance.now() - t0;
  unlinkSync(path);
  return ms;
}

const LOOPBACK = fileURLToPath(new URL('./loopback.ts', import.meta.url));

/** Raw loopback TCP stream of `bytes` between two node processes; ms from connect to last byte. */
export async function loopbackMs(bytes: number, timeoutMs: number): Promise<number> {
  const sender = start(process.execPath, [LOOPBACK, 'send', String(bytes)], { stdout: 'pipe', stderr: 'pipe' });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let buf = '';
      sender.child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(Number(buf.slice(0, nl)));
      });
      void sender.exited.then(() => reject(new Error('loopback sender exited early')));
    });
    const r = check(
      await run(process.execPath, [LOOPBACK, 'recv', String(port), String(bytes)], { timeoutMs }),
      'loopback receiver',
    );
    return Number(r.stdout.trim());
  } finally {
    killGroup(sender.child);
  }
}
