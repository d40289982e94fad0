import { configOnlyConnector } from './config-only-connector.ts';
import { open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ConnectorClass, Props, SinkRecord, SinkTask, SinkTaskContext } from '../api.ts';
import { parseConfig, type ConfigDef } from '../config-def.ts';
import { Struct } from '../data/schema.ts';
import { POSITION_HEADER } from './file-stream-source.ts';

/**
 * Kafka's FileStreamSinkConnector: each record's value, as text, plus "\n" appended to `file` (stdout
 * when unset). Kafka's file sink is at-least-once: after a crash it rewrites lines consumed since the
 * last offset commit. With `exactly.once=true` (a kstream addition) the task keeps a sidecar
 * `<file>.position` — the file length and next offsets — written and fsynced (after the file itself)
 * at every flush; on start it truncates the file to that length and resumes at those offsets, so the
 * file is byte-identical to the topic however the worker dies. Records from a file source with
 * exactly.once=true carry their source position (POSITION_HEADER); the sidecar also keeps the highest
 * position written per source file, and records at or below it (re-sent by a source restarted after a
 * crash) are skipped — so file → topic → file is byte-identical too.
 */

export const FILE_SINK_CLASS = 'org.apache.kafka.connect.file.FileStreamSinkConnector';

const CONFIG: ConfigDef = [
  { name: 'file', type: 'STRING', defaultValue: null, importance: 'HIGH', documentation: 'Destination filename. If not specified, the standard output will be used' },
  {
    name: 'exactly.once',
    type: 'BOOLEAN',
    defaultValue: 'false',
    importance: 'LOW',
    documentation: 'kstream: keep a fsynced sidecar <file>.position with the file length and offsets, so the file is exact after a crash',
  },
];


interface Sidecar {
  fileLength: number;
  offsets: Array<{ topic: string; partition: number; offset: number }>;
  /** Highest source position written per source file (only when records carried POSITION_HEADER). */
  sources?: Record<string, number>;
}

/** "<position>:<file>" from a file source's header (bytes, or a string after a header converter). */
function sourcePosition(r: SinkRecord): { file: string; position: number } | null {
  const h = r.headers.find((x) => x.key === POSITION_HEADER);
  if (!h || h.value === null) return null;
  const text = Buffer.isBuffer(h.value) ? h.value.toString('utf8') : String(h.value);
  const i = text.indexOf(':');
  const position = Number(text.slice(0, i));
  if (i <= 0 || !Number.isSafeInteger(position)) return null;
  return { file: text.slice(i + 1), position };
}

/** A record value as Java's String.valueOf would print it (Struct → Struct{…}, bytes → their text). */
export function valueText(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Buffer.isBuffer(v)) return v.toString('utf8');
  if (v instanceof Struct) return v.toString();
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${valueText(k)}=${valueText(x)}`).join(', ')}}`;
  if (Array.isArray(v)) return `[${v.map(valueText).join(', ')}]`;
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}=${valueText(x)}`).join(', ')}}`;
  return String(v);
}

export class FileStreamSinkTask implements SinkTask {
  private filename: string | null = null;
  private fh: FileHandle | null = null;
  private exactlyOnce = false;
  private length = 0;
  /** Next offset per partition as last recorded in the sidecar. */
  private readonly known = new Map<string, { topic: string; partition: number; offset: number }>();
  /** Highest source position written per source file (see sourcePosition). */
  private readonly sources = new Map<string, number>();

  async start(props: Props, context: SinkTaskContext): Promise<void> {
    const c = parseConfig(CONFIG, props);
    this.filename = (c.file as string | null) || null;
    this.exactlyOnce = c['exactly.once'] === true;
    if (this.filename === null) return;
    this.fh = await open(this.filename, 'a+');
    this.length = (await this.fh.stat()).size;
    if (!this.exactlyOnce) return;
    const side = await readSidecar(this.sidecarPath());
    if (side) {
      // Lines written after the last fsynced position are re-consumed from the recorded offsets.
      if (this.length > side.fileLength) {
        await this.fh.truncate(side.fileLength);
        await this.fh.sync();
      }
      this.length = side.fileLength;
      for (const o of side.offsets) this.known.set(`${o.topic}-${o.partition}`, o);
      for (const [f, p] of Object.entries(side.sources ?? {})) this.sources.set(f, p);
      context.offset(new Map(this.known));
    } else {
      // First start: record where our output begins (what the file held before is the user's), so a
      // crash before the first flush truncates back to here instead of keeping unrecorded lines.
      await this.writeSidecar({ fileLength: this.length, offsets: [] });
    }
  }

  private sidecarPath(): string {
    return `${this.filename}.position`;
  }

  async put(records: SinkRecord[]): Promise<void> {
    if (this.exactlyOnce) records = records.filter((r) => this.firstTime(r));
    if (records.length === 0) return;
    const text = Buffer.from(records.map((r) => `${valueText(r.value)}\n`).join(''));
    if (this.fh) {
      await this.fh.write(text, 0, text.length, null);
      this.length += text.length;
    } else {
      process.stdout.write(text);
    }
  }

  /** False for a line a crashed file source sent again (its position is not past what we wrote). */
  private firstTime(r: SinkRecord): boolean {
    const p = sourcePosition(r);
    if (!p) return true;
    if (p.position <= (this.sources.get(p.file) ?? -1)) return false;
    this.sources.set(p.file, p.position);
    return true;
  }

  async flush(offsets: Map<string, { topic: string; partition: number; offset: number }>): Promise<void> {
    if (!this.fh) return;
    await this.fh.sync();
    if (!this.exactlyOnce) return;
    // Partitions with nothing new since the restart keep their recorded offsets.
    for (const [k, o] of offsets) this.known.set(k, { topic: o.topic, partition: o.partition, offset: o.offset });
    const side: Sidecar = { fileLength: this.length, offsets: [...this.known.values()] };
    if (this.sources.size > 0) side.sources = Object.fromEntries(this.sources);
    await this.writeSidecar(side);
  }

  private async writeSidecar(side: Sidecar): Promise<void> {
    const tmp = `${this.sidecarPath()}.tmp`;
    const h = await open(tmp, 'w');
    try {
      await h.writeFile(JSON.stringify(side));
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, this.sidecarPath());
    const d = await open(dirname(this.sidecarPath()), 'r');
    await d.sync().catch(() => undefined);
    await d.close();
  }

  async stop(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }
}

async function readSidecar(path: string): Promise<Sidecar | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  const s = JSON.parse(text) as Sidecar;
  if (typeof s.fileLength !== 'number' || !Array.isArray(s.offsets)) throw new Error(`${path}: not a file sink position (expected {"fileLength":…,"offsets":[…]})`);
  return s;
}

export const FileStreamSink: ConnectorClass = configOnlyConnector({
  className: FILE_SINK_CLASS,
  type: 'sink',
  config: CONFIG,
  tasks: 'max-tasks',
  createTask: () => new FileStreamSinkTask(),
});
