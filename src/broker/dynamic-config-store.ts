import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { nodeIO, writeFileAtomic } from '../storage/io.ts';
import type { DynamicConfigSnapshot } from './config.ts';

/**
 * Where dynamic broker configs (IncrementalAlterConfigs / AlterConfigs on the broker resource) are
 * kept so they survive a restart — Kafka keeps them in its metadata log; kstream in one JSON file in
 * the data dir, replaced atomically (write, fsync, rename) so a crash leaves the old or the new set.
 */
interface StoredFile {
  version: 1;
  /** Resource name "": DYNAMIC_DEFAULT_BROKER_CONFIG. */
  cluster: Record<string, string>;
  /** Resource name = node id: DYNAMIC_BROKER_CONFIG. */
  broker: Record<string, string>;
}

export async function loadDynamicConfigs(path: string): Promise<DynamicConfigSnapshot> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { cluster: {}, broker: {} };
    throw err;
  }
  let parsed: Partial<StoredFile>;
  try {
    parsed = JSON.parse(text) as Partial<StoredFile>;
  } catch (err) {
    throw new Error(`${path}: not valid JSON (${(err as Error).message}); fix or remove it to start`);
  }
  return { cluster: stringMap(parsed.cluster), broker: stringMap(parsed.broker) };
}

export async function saveDynamicConfigs(path: string, snapshot: DynamicConfigSnapshot): Promise<void> {
  const file: StoredFile = { version: 1, cluster: snapshot.cluster, broker: snapshot.broker };
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(nodeIO, path, Buffer.from(`${JSON.stringify(file, null, 2)}\n`));
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
}
