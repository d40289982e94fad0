import { configOnlyConnector } from '../config-only-connector.ts';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConnectorClass, Props, SourceRecord, SourceTask } from '../../api.ts';
import { parseConfig, positive, type ConfigDef } from '../../config-def.ts';
import { Schemas } from '../../data/schema.ts';

/**
 * An HTTP source (a kstream connector; Kafka and Confluent have no push-style one): the task listens on
 * `http.host`:`http.port` and every POST to `http.path` becomes records on `topic` — one per non-empty
 * line (`body.format=lines`, STRING values), one per JSON value or array element (`json`, schemaless
 * values), or the whole body (`raw`, BYTES). The request header named by `key.header` becomes the
 * record key. The reply is 202 once the records are queued for the producer (`max.queue.records`
 * bounds the queue; 503 with Retry-After when full): like any push endpoint without its own log,
 * records queued when the worker dies are lost, so senders that need more should retry on errors.
 */

export const HTTP_SOURCE_CLASS = 'kstream.connect.http.HttpSourceConnector';

const CONFIG: ConfigDef = [
  { name: 'topic', type: 'STRING', importance: 'HIGH', documentation: 'The topic to publish data to.' },
  { name: 'http.port', type: 'INT', importance: 'HIGH', documentation: 'Port the endpoint listens on.', validate: (v) => {
    if ((v as number) < 0 || (v as number) > 65535) throw new Error('must be a port number (0-65535)');
  } },
  { name: 'http.host', type: 'STRING', defaultValue: '0.0.0.0', importance: 'MEDIUM', documentation: 'Address the endpoint listens on.' },
  { name: 'http.path', type: 'STRING', defaultValue: '/', importance: 'MEDIUM', documentation: 'Path that accepts POSTs.', validate: (v) => {
    if (!(v as string).startsWith('/')) throw new Error('must start with /');
  } },
  { name: 'body.format', type: 'STRING', defaultValue: 'lines', importance: 'HIGH', documentation: 'lines (a record per non-empty line), json (a record per JSON value, or per element of a top-level array) or raw (the body as one BYTES record).', validate: (v) => {
    if (!['lines', 'json', 'raw'].includes(v as string)) throw new Error('String must be one of: lines, json, raw');
  } },
  { name: 'key.header', type: 'STRING', defaultValue: '', importance: 'LOW', documentation: 'Request header whose value becomes the record key (STRING); no key when empty or absent.' },
  { name: 'max.request.bytes', type: 'INT', defaultValue: '10485760', importance: 'LOW', documentation: 'Largest request body accepted (413 above).', validate: positive },
  { name: 'max.queue.records', type: 'INT', defaultValue: '100000', importance: 'LOW', documentation: 'Records waiting for the producer before requests get 503.', validate: positive },
  { name: 'batch.size', type: 'INT', defaultValue: '2000', importance: 'LOW', documentation: 'Most records handed to the producer per poll.', validate: positive },
];


export class HttpSourceTask implements SourceTask {
  private server: Server | null = null;
  private queue: SourceRecord[] = [];
  private wake: (() => void) | null = null;
  private topic = '';
  private path = '/';
  private format = 'lines';
  private keyHeader = '';
  private maxBytes = 0;
  private maxQueue = 0;
  private batchSize = 2000;

  async start(props: Props): Promise<void> {
    const c = parseConfig(CONFIG, props);
    this.topic = c.topic as string;
    this.path = c['http.path'] as string;
    this.format = c['body.format'] as string;
    this.keyHeader = (c['key.header'] as string).toLowerCase();
    this.maxBytes = c['max.request.bytes'] as number;
    this.maxQueue = c['max.queue.records'] as number;
    this.batchSize = c['batch.size'] as number;
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(c['http.port'] as number, c['http.host'] as string, () => resolve());
    });
    this.server = server;
  }

  /** The bound port (useful with http.port=0). */
  get port(): number {
    return (this.server?.address() as { port: number } | null)?.port ?? 0;
  }

  private reply(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== this.path) return this.reply(res, 404, { error_code: 404, message: `Not found: ${path}` });
    if (req.method !== 'POST') return this.reply(res, 405, { error_code: 405, message: `Method ${req.method} not allowed, use POST` }, { allow: 'POST' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > this.maxBytes) {
        this.reply(res, 413, { error_code: 413, message: `Request body larger than max.request.bytes=${this.maxBytes}` }, { connection: 'close' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    }
    const body = Buffer.concat(chunks);
    let values: Array<{ schema: typeof Schemas.STRING | null; value: unknown }>;
    try {
      values = this.parse(body);
    } catch (e) {
      return this.reply(res, 400, { error_code: 400, message: `Cannot parse the body as ${this.format}: ${(e as Error).message}` });
    }
    if (this.queue.length + values.length > this.maxQueue) return this.reply(res, 503, { error_code: 503, message: 'The queue is full (max.queue.records); retry later' }, { 'retry-after': '1' });
    const keyText = this.keyHeader ? req.headers[this.keyHeader] : undefined;
    const key = typeof keyText === 'string' ? keyText : null;
    const now = Date.now();
    for (const v of values) {
      this.queue.push({
        topic: this.topic,
        kafkaPartition: null,
        keySchema: key === null ? null : Schemas.OPTIONAL_STRING,
        key,
        valueSchema: v.schema,
        value: v.value,
        timestamp: now,
        headers: [],
        sourcePartition: null,
        sourceOffset: null,
      });
    }
    this.wake?.();
    this.reply(res, 202, { records: values.length });
  }

  private parse(body: Buffer): Array<{ schema: typeof Schemas.STRING | null; value: unknown }> {
    if (this.format === 'raw') return [{ schema: Schemas.BYTES, value: body }];
    const text = body.toString('utf8');
    if (this.format === 'lines') return text.split(/\r\n|\r|\n/).filter((l) => l !== '').map((l) => ({ schema: Schemas.STRING, value: l }));
    const parsed = JSON.parse(text) as unknown;
    return (Array.isArray(parsed) ? parsed : [parsed]).map((v) => ({ schema: null, value: v }));
  }

  async poll(): Promise<SourceRecord[] | null> {
    if (this.queue.length === 0) {
      // Wake on the next request, or return empty now and then so the runtime can commit, pause or stop.
      await new Promise<void>((r) => {
        const t = setTimeout(r, 250);
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
      this.wake = null;
    }
    return this.queue.splice(0, this.batchSize);
  }

  async stop(): Promise<void> {
    this.wake?.();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }
}

export const HttpSource: ConnectorClass = configOnlyConnector({
  className: HTTP_SOURCE_CLASS,
  type: 'source',
  config: CONFIG,
  tasks: 'single',
  createTask: () => new HttpSourceTask(),
});
