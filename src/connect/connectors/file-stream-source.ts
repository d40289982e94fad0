import { configOnlyConnector } from './config-only-connector.ts';
import { open, type FileHandle } from 'node:fs/promises';
import type { ConnectorClass, Props, SourceRecord, SourceTask, SourceTaskContext } from '../api.ts';
import { parseConfig, positive, type ConfigDef } from '../config-def.ts';
import { Schemas } from '../data/schema.ts';

/**
 * Kafka's FileStreamSourceConnector: each complete line of `file` (stdin when unset) becomes a record
 * with a STRING value schema and no key, on `topic`. The source partition is {"filename": file} and the
 * offset {"position": <bytes after the line>}, exactly Kafka's, so a restart resumes after the last
 * committed line. One task at most, as Kafka's.
 */

export const FILE_SOURCE_CLASS = 'org.apache.kafka.connect.file.FileStreamSourceConnector';

/**
 * With `exactly.once=true` (a kstream addition) each record carries this header: the byte position after
 * its line and the file name. A source restarted after a crash re-sends the lines after its last flushed
 * offset (Kafka's file source does the same); a file sink with exactly.once=true remembers the highest
 * position it wrote per file, with its output, and skips those repeats — so file → topic → file is exact.
 */
export const POSITION_HEADER = 'kstream.file.position';

const CONFIG: ConfigDef = [
  { name: 'file', type: 'STRING', defaultValue: null, importance: 'HIGH', documentation: 'Source filename. If not specified, the standard input will be used' },
  {
    name: 'topic',
    type: 'LIST',
    importance: 'HIGH',
    documentation: 'The topic to publish data to',
    validate: (v) => {
      if ((v as string[]).length !== 1) throw new Error("'topic' in FileStreamSourceConnector configuration requires definition of a single topic.");
    },
  },
  { name: 'batch.size', type: 'INT', defaultValue: '2000', importance: 'LOW', documentation: 'The maximum number of records the source task can read from the file each time it is polled', validate: positive },
  {
    name: 'exactly.once',
    type: 'BOOLEAN',
    defaultValue: 'false',
    importance: 'LOW',
    documentation: `kstream: stamp each record with a ${POSITION_HEADER} header ("<position>:<file>"), which an exactly.once file sink uses to drop lines the source sends again after a crash`,
  },
];


export class FileStreamSourceTask implements SourceTask {
  private filename: string | null = null;
  private topic = '';
  private batchSize = 2000;
  private stampPosition = false;
  private fh: FileHandle | null = null;
  private stdin: AsyncIterator<Buffer> | null = null;
  /** Position in the file of buffer[0]. */
  private position = 0;
  private buffer = Buffer.alloc(0);
  private stopped = false;
  /** How long poll() waits when there is nothing new (Kafka waits 1 s). */
  idleMs = 200;

  async start(props: Props, context: SourceTaskContext): Promise<void> {
    const c = parseConfig(CONFIG, props);
    this.filename = (c.file as string | null) || null;
    this.topic = (c.topic as string[])[0]!;
    this.batchSize = c['batch.size'] as number;
    this.stampPosition = c['exactly.once'] === true && this.filename !== null;
    if (this.filename === null) {
      this.stdin = (process.stdin as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
      return;
    }
    const off = context.offset({ filename: this.filename });
    const pos = off?.position;
    if (pos !== undefined && pos !== null) {
      if (typeof pos !== 'number' && typeof pos !== 'bigint') throw new Error('Offset position is the incorrect type');
      this.position = Number(pos);
    }
  }

  private async openFile(): Promise<boolean> {
    if (this.fh) return true;
    try {
      this.fh = await open(this.filename!, 'r');
      return true;
    } catch (e) {
      // Kafka waits for the file to appear rather than failing.
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.stopped) return null;
    let more: Buffer | null = null;
    if (this.stdin) {
      const r = await this.stdin.next();
      more = r.done ? null : r.value;
    } else if (await this.openFile()) {
      const chunk = Buffer.alloc(64 * 1024);
      const { bytesRead } = await this.fh!.read(chunk, 0, chunk.length, this.position + this.buffer.length);
      more = bytesRead > 0 ? chunk.subarray(0, bytesRead) : null;
    }
    if (more) this.buffer = this.buffer.length === 0 ? Buffer.from(more) : Buffer.concat([this.buffer, more]);
    const records = this.extractLines();
    if (records.length === 0 && !more) await new Promise((r) => setTimeout(r, this.idleMs));
    return records;
  }

  /** Complete lines ("\n", "\r\n" or "\r" ended, as Kafka's extractLine), up to batch.size. */
  private extractLines(): SourceRecord[] {
    const out: SourceRecord[] = [];
    let start = 0;
    while (out.length < this.batchSize) {
      let end = -1;
      let next = -1;
      for (let i = start; i < this.buffer.length; i++) {
        const b = this.buffer[i];
        if (b === 0x0a) {
          end = i;
          next = i + 1;
          break;
        }
        if (b === 0x0d) {
          // A "\r" at the end of the buffer may be the first half of "\r\n": wait for more.
          if (i + 1 >= this.buffer.length) break;
          end = i;
          next = this.buffer[i + 1] === 0x0a ? i + 2 : i + 1;
          break;
        }
      }
      if (end < 0) break;
      const line = this.buffer.toString('utf8', start, end);
      const position = this.position + next;
      out.push({
        topic: this.topic,
        kafkaPartition: null,
        keySchema: null,
        key: null,
        valueSchema: Schemas.STRING,
        value: line,
        timestamp: Date.now(),
        headers: this.stampPosition ? [{ key: POSITION_HEADER, schema: Schemas.STRING, value: `${position}:${this.filename}` }] : [],
        sourcePartition: this.filename === null ? null : { filename: this.filename },
        sourceOffset: this.filename === null ? null : { position },
      });
      start = next;
    }
    if (start > 0) {
      this.buffer = this.buffer.subarray(start);
      this.position += start;
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.fh?.close().catch(() => undefined);
    this.fh = null;
  }
}

export const FileStreamSource: ConnectorClass = configOnlyConnector({
  className: FILE_SOURCE_CLASS,
  type: 'source',
  config: CONFIG,
  tasks: 'single',
  createTask: () => new FileStreamSourceTask(),
});
