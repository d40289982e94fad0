/**
 * A task's `.checkpoint` file in Kafka's OffsetCheckpoint format: line 1 the version (0), line 2 the
 * entry count, then `topic partition offset` per line. The offset is that of the last changelog record
 * reflected in the local store; restore resumes after it. Written to a temp file then renamed, as Kafka.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";

export const CHECKPOINT_FILE_NAME = ".checkpoint";

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export function writeCheckpoint(path: string, entries: CheckpointEntry[]): void {
  for (const e of entries) if (e.offset < 0) throw new Error(`Attempted to write a negative offset to the checkpoint file (${e.topic}-${e.partition}: ${e.offset})`);
  const text = ["0", String(entries.length), ...entries.map((e) => `${e.topic} ${e.partition} ${e.offset}`)].join("\n") + "\n";
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** The entries of a checkpoint file; an absent file has none. A malformed one is an error naming the file. */
export function readCheckpoint(path: string): CheckpointEntry[] {
  if (!existsSync(path)) return [];
  const lines = readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "");
  const bad = (why: string): Error => new Error(`Malformed checkpoint file ${path}: ${why}`);
  if (lines[0] !== "0") throw bad(`unknown version ${JSON.stringify(lines[0])} (expected 0)`);
  const n = Number(lines[1]);
  if (!Number.isInteger(n) || lines.length - 2 !== n) throw bad(`expected ${lines[1]} entries, found ${lines.length - 2}`);
  return lines.slice(2).map((l) => {
    const parts = l.trim().split(/\s+/);
    if (parts.length !== 3) throw bad(`line "${l}" is not "topic partition offset"`);
    const [topic, p, o] = parts as [string, string, string];
    return { topic, partition: Number(p), offset: Number(o) };
  });
}

export function deleteCheckpoint(path: string): void {
  rmSync(path, { force: true });
}
