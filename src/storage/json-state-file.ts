import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isNotFound, nodeIO, syncDir } from './io.ts';

/**
 * A small piece of broker state kept as one JSON file in the data dir (SCRAM credentials, client
 * quotas, ACLs — what Kafka keeps as records in its metadata log). Reads tell an absent file (no
 * state yet) from a corrupt one (an error naming the file, so the broker refuses to start rather
 * than run with less security than configured). Writes are atomic — temp file, fsync, rename,
 * directory fsync — and serialized, so an older snapshot never renames over a newer one.
 */
export class JsonStateFile {
  readonly path: string;
  private readonly mode: number;
  private writing: Promise<void> = Promise.resolve();

  /** `mode` is the file's permission bits (0o600 for secrets). */
  constructor(path: string, mode = 0o644) {
    this.path = path;
    this.mode = mode;
  }

  /**
   * Parses the file and hands the value to `decode`; undefined when the file does not exist. Bad
   * JSON or a value `decode` rejects throws `<path>: cannot read <what>: <reason>`.
   */
  async load<T>(what: string, decode: (data: unknown) => T): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
    try {
      return decode(JSON.parse(text));
    } catch (err) {
      throw new Error(`${this.path}: cannot read ${what}: ${(err as Error).message}`);
    }
  }

  /** Replaces the file with `value` (pretty-printed JSON); resolves once it is durable. */
  write(value: unknown): Promise<void> {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    this.writing = this.writing
      .catch(() => {})
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        const tmp = `${this.path}.tmp`;
        const fh = await open(tmp, 'w', this.mode);
        try {
          await fh.writeFile(text);
          await fh.sync();
        } finally {
          await fh.close();
        }
        await rename(tmp, this.path);
        await syncDir(nodeIO, dirname(this.path));
      });
    return this.writing;
  }
}
