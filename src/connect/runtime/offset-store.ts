import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Source offsets in `offset.storage.file.filename`. Kafka's FileOffsetBackingStore writes a Java-
 * serialized HashMap whose keys are the JSON `["<connector>",{<source partition>}]` and values the
 * JSON offset; we keep the same keys and values in a JSON file instead:
 *   {"version":1,"offsets":[{"key":["local-file-source",{"filename":"test.txt"}],"value":{"position":42}}]}
 * Saved atomically (temp file, fsync, rename), so a crash leaves the previous or the new set.
 */

export interface OffsetEntry {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
}

const keyOf = (connector: string, partition: Record<string, unknown>): string => JSON.stringify([connector, partition]);

/**
 * Where source tasks keep their offsets: this file in standalone mode, `offset.storage.topic` in
 * distributed mode (storage/kafka-offset-store.ts). save() makes everything set() so far durable.
 */
export interface SourceOffsetStore {
  get(connector: string, partition: Record<string, unknown>): Record<string, unknown> | null;
  set(connector: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null): void;
  entries(connector: string): OffsetEntry[];
  clear(connector: string): void;
  save(): Promise<void>;
}

export class OffsetStore implements SourceOffsetStore {
  private readonly path: string;
  private readonly data = new Map<string, Record<string, unknown> | null>();

  constructor(path: string) {
    this.path = path;
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (text.trim() === '') return;
    let j: { offsets?: Array<{ key: unknown; value: unknown }> };
    try {
      j = JSON.parse(text);
    } catch {
      throw new Error(`${this.path}: not a kstream offsets file (Kafka's Java-serialized offset files cannot be read; move it away to start fresh)`);
    }
    for (const e of j.offsets ?? []) this.data.set(JSON.stringify(e.key), (e.value ?? null) as Record<string, unknown> | null);
  }

  get(connector: string, partition: Record<string, unknown>): Record<string, unknown> | null {
    return this.data.get(keyOf(connector, partition)) ?? null;
  }

  set(connector: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null): void {
    if (offset === null) this.data.delete(keyOf(connector, partition));
    else this.data.set(keyOf(connector, partition), offset);
  }

  /** Every partition's offset of one connector (for GET /connectors/{name}/offsets). */
  entries(connector: string): OffsetEntry[] {
    const out: OffsetEntry[] = [];
    for (const [k, v] of this.data) {
      const [c, partition] = JSON.parse(k) as [string, Record<string, unknown>];
      if (c === connector) out.push({ partition, offset: v });
    }
    return out;
  }

  clear(connector: string): void {
    for (const e of this.entries(connector)) this.set(connector, e.partition, null);
  }

  private saving: Promise<void> = Promise.resolve();

  /** Writes the file; saves from several tasks run one after another. */
  save(): Promise<void> {
    const next = this.saving.then(() => this.write());
    this.saving = next.catch(() => undefined);
    return next;
  }

  private async write(): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const body = JSON.stringify({ version: 1, offsets: [...this.data].map(([k, v]) => ({ key: JSON.parse(k), value: v })) });
    const tmp = `${this.path}.tmp`;
    const h = await open(tmp, 'w');
    try {
      await h.writeFile(body);
      await h.sync();
    } finally {
      await h.close();
    }
    await rename(tmp, this.path);
  }
}
