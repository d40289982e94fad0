import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { LogManager } from '../../src/storage/log-manager.ts';
import { verifyPartition } from '../../src/storage/verify.ts';
import { makeTempDir } from '../helpers/index.ts';
import { listBatches, memoryLogger } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
let dir: string;
let cleanup: () => Promise<void>;
const children: ChildProcess[] = [];

beforeEach(async () => ({ dir, cleanup } = await makeTempDir('kstream-storage-')));
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await cleanup();
});

/** Runs the child until it has acknowledged `acks` appends, then SIGKILLs it. Returns the acks. */
function runAndKill(mode: string, round: number, acks: number): Promise<{ base: number; last: number; tag: string }[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, mode, String(round)], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    const seen: { base: number; last: number; tag: string }[] = [];
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^ack (\d+) (\d+) (\S+)$/.exec(line);
      if (!m) return;
      seen.push({ base: Number(m[1]), last: Number(m[2]), tag: m[3]! });
      if (seen.length === acks) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(seen);
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

describe('SIGKILL of a process appending to the log', () => {
  for (const mode of ['never', 'always']) {
    it(`fsync=${mode}: every acknowledged batch survives, in order, across kill rounds`, async () => {
      const acked: { base: number; last: number; tag: string }[] = [];
      for (let round = 0; round < 3; round++) {
        acked.push(...(await runAndKill(mode, round, 150 + round * 37)));
        const logs = await LogManager.open({ dataDir: dir, logger: memoryLogger() });
        const log = logs.partition('crash', 0)!;
        const last = acked[acked.length - 1]!;
        expect(log.logEndOffset).toBeGreaterThan(last.last);
        expect(await verifyPartition(log)).toEqual([]);
        // Read everything back and match every acknowledged batch by offsets and content.
        const byBase = new Map<number, Buffer>();
        let next = log.logStartOffset;
        while (next < log.logEndOffset) {
          const { records } = await log.read(next, 1 << 20);
          let at = 0;
          for (const b of listBatches(records)) {
            byBase.set(b.baseOffset, records.subarray(at, at + b.size));
            at += b.size;
            next = b.lastOffset + 1;
          }
        }
        for (const a of acked) {
          const batch = byBase.get(a.base);
          expect(batch, `acknowledged batch ${a.tag} at ${a.base}`).toBeDefined();
          expect(a.base + batch!.readInt32BE(23)).toBe(a.last);
          expect(batch!.includes(Buffer.from(`${a.tag}-0`))).toBe(true);
        }
        await logs.close();
      }
    });
  }
});
