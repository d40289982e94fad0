import type { ResetPlanEntry } from '../client/admin.ts';
import { parsePartitions, UsageError } from './parse.ts';

/**
 * Kafka's `topic:partitions` selector for `groups reset-offsets --topic` (demo, demo:0, demo:0,2,
 * demo:0-3) and its `--from-file` CSV (topic,partition,offset per line), narrowing a reset plan to the
 * selected partitions.
 */

export interface TopicSelection {
  topic: string;
  /** undefined = every partition. */
  partitions?: number[];
}

export function parseTopicPartitions(s: string, flag: string): TopicSelection {
  const i = s.indexOf(':');
  if (i === -1) return { topic: s };
  const topic = s.slice(0, i);
  if (topic === '') throw new UsageError(`${flag}: "${s}" has no topic before ':' (e.g. demo:0,2)`);
  try {
    return { topic, partitions: parsePartitions(s.slice(i + 1)) };
  } catch (e) {
    throw new UsageError(`${flag}: "${s}" is not topic or topic:partitions (e.g. demo, demo:0,2, demo:0-3): ${(e as Error).message.replace(/^--partition: /, '')}`);
  }
}

export interface FileOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** Kafka's reset CSV: `topic,partition,offset` per line (blank lines and a header-free file). */
export function parseOffsetsCsv(text: string, flag: string): FileOffset[] {
  const out: FileOffset[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return;
    const m = /^([^,]+),(\d+),(\d+)$/.exec(line.trim());
    if (!m) throw new UsageError(`${flag}: line ${i + 1}: "${line}" is not topic,partition,offset`);
    out.push({ topic: m[1]!, partition: Number(m[2]), offset: Number(m[3]) });
  });
  if (out.length === 0) throw new UsageError(`${flag}: the file has no topic,partition,offset lines`);
  return out;
}

export function selectionOf(offsets: FileOffset[]): TopicSelection[] {
  const by = new Map<string, number[]>();
  for (const o of offsets) by.set(o.topic, [...(by.get(o.topic) ?? []), o.partition]);
  return [...by].map(([topic, partitions]) => ({ topic, partitions }));
}

/** The plan narrowed to the selection; with a file, each target is the file's offset (clamped). */
export function applySelection(plan: ResetPlanEntry[], selection: TopicSelection[] | undefined, file?: FileOffset[]): ResetPlanEntry[] {
  if (!selection) return plan;
  for (const s of selection) {
    for (const p of s.partitions ?? []) {
      if (!plan.some((e) => e.topic === s.topic && e.partition === p)) throw new UsageError(`partition ${p} of topic "${s.topic}" does not exist`);
    }
  }
  const chosen = plan.filter((e) => selection.some((s) => s.topic === e.topic && (s.partitions === undefined || s.partitions.includes(e.partition))));
  if (!file) return chosen;
  return chosen.map((e) => {
    const want = file.find((f) => f.topic === e.topic && f.partition === e.partition)!.offset;
    return { ...e, target: want };
  });
}
