import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where `kstream serve` keeps its data when no --data-dir is given: $KSTREAM_DATA_DIR, else the XDG
 * data home ($XDG_DATA_HOME or ~/.local/share) + /kstream. Per user, so nothing needs root.
 */
export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  if (env.KSTREAM_DATA_DIR) return env.KSTREAM_DATA_DIR;
  const xdg = env.XDG_DATA_HOME && env.XDG_DATA_HOME.startsWith('/') ? env.XDG_DATA_HOME : join(homedir(), '.local', 'share');
  return join(xdg, 'kstream');
}

/**
 * Reads the cluster id from `<dataDir>/meta.properties` (Kafka's file name and key), creating it on
 * first start: a random 16-byte id in Kafka's 22-character base64url form. Clients cache the cluster
 * id, so it must survive restarts.
 */
export async function loadClusterId(dataDir: string, nodeId: number): Promise<string> {
  const path = join(dataDir, 'meta.properties');
  try {
    const text = await readFile(path, 'utf8');
    const m = /^cluster\.id\s*[=:]\s*(\S+)\s*$/m.exec(text);
    if (m) return m[1]!;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true });
  const id = process.getBuiltinModule('node:crypto').randomBytes(16).toString('base64url');
  const tmp = `${path}.tmp`;
  await writeFile(tmp, `# written by kstream serve\nversion=1\ncluster.id=${id}\nnode.id=${nodeId}\n`);
  await rename(tmp, path);
  return id;
}
