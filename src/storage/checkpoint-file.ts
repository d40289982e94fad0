import type { StorageIO } from './io.ts';
import { isNotFound, writeFileAtomic } from './io.ts';

/**
 * Kafka's offset checkpoint files (recovery-point-offset-checkpoint, log-start-offset-checkpoint):
 * "0\n<count>\n<topic> <partition> <offset>\n…". Written atomically; a missing or unreadable file
 * reads as empty (the caller then recovers/derives everything, which is always safe).
 */
export async function readCheckpoint(io: StorageIO, path: string): Promise<Map<string, number> | null> {
  let text: string;
  try {
    text = (await io.readFile(path)).toString('utf8');
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== '0') return null;
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || lines.length - 2 !== count) return null;
  const out = new Map<string, number>();
  for (const line of lines.slice(2)) {
    const m = /^(\S+) (\d+) (-?\d+)$/.exec(line);
    if (!m) return null;
    out.set(`${m[1]}-${m[2]}`, Number(m[3]));
  }
  return out;
}

export async function writeCheckpoint(io: StorageIO, path: string, entries: Iterable<[topic: string, partition: number, offset: number]>): Promise<void> {
  const lines: string[] = [];
  for (const [t, p, o] of entries) lines.push(`${t} ${p} ${o}`);
  await writeFileAtomic(io, path, Buffer.from(`0\n${lines.length}\n${lines.map((l) => l + '\n').join('')}`));
}
