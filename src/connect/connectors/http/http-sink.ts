import { configOnlyConnector } from '../config-only-connector.ts';
import type { ConnectorClass, Props, SinkRecord, SinkTask, SinkTaskContext } from '../../api.ts';
import { ConfigException, parseConfig, positive, type ConfigDef } from '../../config-def.ts';
import { JsonConverter } from '../../converters/json-converter.ts';
import { valueText } from '../file-stream-sink.ts';

/**
 * An HTTP sink with the config names of Confluent's HttpSinkConnector: record values are POSTed
 * (`request.method`) to `http.api.url` in batches of up to `batch.max.size`, joined as
 * `batch.prefix` + values joined by `batch.separator` + `batch.suffix` (or a JSON array with
 * `batch.json.as.array`), with `headers` ("Name:value" separated by `header.separator`). A failed request
 * (network error or a status in `retry.on.status.codes`) is retried `max.retries` times with exponential
 * backoff from `retry.backoff.ms`; a batch that still fails goes record by record to the connector's
 * error handling (errors.tolerance, errors.log.enable, the dead-letter queue) through the errant record
 * reporter — with errors.tolerance=none the task fails.
 */

export const HTTP_SINK_CLASS = 'io.confluent.connect.http.HttpSinkConnector';

const CONFIG: ConfigDef = [
  { name: 'http.api.url', type: 'STRING', importance: 'HIGH', documentation: 'HTTP API URL.', validate: (v) => {
    const u = new URL(v as string);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('must be an http:// or https:// URL');
  } },
  { name: 'request.method', type: 'STRING', defaultValue: 'POST', importance: 'HIGH', documentation: 'HTTP Request Method: POST, PUT or PATCH.', validate: (v) => {
    if (!['POST', 'PUT', 'PATCH'].includes(String(v).toUpperCase())) throw new Error('String must be one of: POST, PUT, PATCH');
  } },
  { name: 'headers', type: 'STRING', defaultValue: '', importance: 'MEDIUM', documentation: "HTTP headers to be included in all requests, 'Name:value' entries separated by header.separator." },
  { name: 'header.separator', type: 'STRING', defaultValue: '|', importance: 'LOW', documentation: 'Separator character used in headers property.' },
  { name: 'request.body.format', type: 'STRING', defaultValue: 'string', importance: 'MEDIUM', documentation: 'How each record value is written: string (its text) or json (JSON, Structs as objects).', validate: (v) => {
    if (!['string', 'json'].includes(String(v).toLowerCase())) throw new Error('String must be one of: string, json');
  } },
  { name: 'batch.max.size', type: 'INT', defaultValue: '1', importance: 'HIGH', documentation: 'The number of records accumulated in a batch before the HTTP API is invoked.', validate: positive },
  { name: 'batch.prefix', type: 'STRING', defaultValue: '', importance: 'HIGH', documentation: 'Prefix added to record batches.' },
  { name: 'batch.suffix', type: 'STRING', defaultValue: '', importance: 'HIGH', documentation: 'Suffix added to record batches.' },
  { name: 'batch.separator', type: 'STRING', defaultValue: ',', importance: 'HIGH', documentation: 'Separator for records in a batch.' },
  { name: 'batch.json.as.array', type: 'BOOLEAN', defaultValue: 'false', importance: 'HIGH', documentation: 'Whether or not to use an array to bundle json records (request.body.format=json).' },
  { name: 'behavior.on.null.values', type: 'STRING', defaultValue: 'ignore', importance: 'LOW', documentation: 'How to handle records with a null value: ignore or fail.', validate: (v) => {
    if (!['ignore', 'fail'].includes(String(v).toLowerCase())) throw new Error('String must be one of: ignore, fail');
  } },
  { name: 'max.retries', type: 'INT', defaultValue: '10', importance: 'MEDIUM', documentation: 'The maximum number of times to retry on errors before failing the task.' },
  { name: 'retry.backoff.ms', type: 'INT', defaultValue: '3000', importance: 'MEDIUM', documentation: 'The initial duration in milliseconds to wait following an error before a retry attempt is made (doubled on each retry, at most 60 s).' },
  { name: 'retry.on.status.codes', type: 'STRING', defaultValue: '500-', importance: 'MEDIUM', documentation: "The HTTP error codes to retry on: comma-separated codes or ranges ('500-', '408,429,500-599')." },
  { name: 'http.connect.timeout.ms', type: 'INT', defaultValue: '30000', importance: 'LOW', documentation: 'Time to wait for a connection to be established.' },
  { name: 'http.request.timeout.ms', type: 'INT', defaultValue: '30000', importance: 'LOW', documentation: 'Time to wait for a request response to arrive.' },
];

/** "500-", "408,429,500-599", "400-499" → a predicate on status codes. */
export function statusCodeRanges(spec: string): (status: number) => boolean {
  const ranges = spec
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const m = /^(\d{3})?(-)?(\d{3})?$/.exec(s);
      if (!m || (!m[1] && !m[3])) throw new ConfigException(`Invalid value ${spec} for configuration retry.on.status.codes: '${s}' is not a code or range`);
      const lo = m[1] ? Number(m[1]) : 0;
      const hi = m[3] ? Number(m[3]) : m[2] ? 999 : lo;
      return [lo, hi] as const;
    });
  return (status) => ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

export function parseHeaders(spec: string, separator: string): Array<[string, string]> {
  if (spec.trim() === '') return [];
  return spec.split(separator).map((h) => {
    const i = h.indexOf(':');
    if (i <= 0) throw new ConfigException(`Invalid value ${spec} for configuration headers: '${h}' is not Name:value`);
    return [h.slice(0, i).trim(), h.slice(i + 1).trim()] as [string, string];
  });
}

interface Settings {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  json: boolean;
  batchSize: number;
  prefix: string;
  suffix: string;
  separator: string;
  jsonArray: boolean;
  failOnNull: boolean;
  maxRetries: number;
  backoffMs: number;
  retryOn: (status: number) => boolean;
  timeoutMs: number;
}

function settings(c: Record<string, unknown>): Settings {
  const json = String(c['request.body.format']).toLowerCase() === 'json';
  return {
    url: c['http.api.url'] as string,
    method: String(c['request.method']).toUpperCase(),
    headers: parseHeaders(c.headers as string, c['header.separator'] as string),
    json,
    batchSize: c['batch.max.size'] as number,
    prefix: c['batch.prefix'] as string,
    suffix: c['batch.suffix'] as string,
    separator: c['batch.separator'] as string,
    jsonArray: json && (c['batch.json.as.array'] as boolean),
    failOnNull: String(c['behavior.on.null.values']).toLowerCase() === 'fail',
    maxRetries: c['max.retries'] as number,
    backoffMs: c['retry.backoff.ms'] as number,
    retryOn: statusCodeRanges(c['retry.on.status.codes'] as string),
    timeoutMs: (c['http.connect.timeout.ms'] as number) + (c['http.request.timeout.ms'] as number),
  };
}


export class HttpSinkError extends Error {
  override name = 'ConnectException';
}

export class HttpSinkTask implements SinkTask {
  private s!: Settings;
  private context!: SinkTaskContext;
  private readonly json = new JsonConverter();
  private stopped = false;

  start(props: Props, context: SinkTaskContext): void {
    this.s = settings(parseConfig(CONFIG, props));
    this.context = context;
    this.json.configure({ 'schemas.enable': 'false' }, false);
  }

  private text(r: SinkRecord): string {
    if (!this.s.json) return valueText(r.value);
    return this.json.fromConnectData(r.topic, r.valueSchema, r.value)!.toString('utf8');
  }

  async put(records: SinkRecord[]): Promise<void> {
    const live: SinkRecord[] = [];
    for (const r of records) {
      if (r.value !== null && r.value !== undefined) live.push(r);
      else if (this.s.failOnNull) throw new HttpSinkError(`record at (topic='${r.topic}',partition=${r.kafkaPartition},offset=${r.kafkaOffset}) has a null value and behavior.on.null.values=fail`);
    }
    for (let i = 0; i < live.length; i += this.s.batchSize) {
      const batch = live.slice(i, i + this.s.batchSize);
      const items = batch.map((r) => this.text(r));
      const body = this.s.jsonArray ? `[${items.join(',')}]` : `${this.s.prefix}${items.join(this.s.separator)}${this.s.suffix}`;
      try {
        await this.send(body);
      } catch (e) {
        const reporter = this.context.errantRecordReporter;
        if (!reporter) throw e;
        for (const r of batch) await reporter.report(r, e as Error);
      }
    }
  }

  /** One request with retries; throws HttpSinkError when it finally fails. */
  private async send(body: string): Promise<void> {
    const headers: Record<string, string> = { 'content-type': this.s.json ? 'application/json' : 'text/plain; charset=utf-8' };
    for (const [k, v] of this.s.headers) headers[k.toLowerCase()] = v;
    for (let attempt = 0; ; attempt++) {
      let problem: string;
      let retriable: boolean;
      try {
        const res = await fetch(this.s.url, { method: this.s.method, headers, body, signal: AbortSignal.timeout(this.s.timeoutMs) });
        const text = await res.text().catch(() => '');
        if (res.status >= 200 && res.status < 300) return;
        problem = `HTTP ${res.status} ${res.statusText} from ${this.s.url}: ${text.slice(0, 500)}`;
        retriable = this.s.retryOn(res.status);
      } catch (e) {
        problem = `request to ${this.s.url} failed: ${(e as Error).message}`;
        retriable = true;
      }
      if (!retriable || attempt >= this.s.maxRetries || this.stopped) throw new HttpSinkError(`${problem} (after ${attempt + 1} attempt(s))`);
      await new Promise((r) => setTimeout(r, Math.min(this.s.backoffMs * 2 ** attempt, 60_000)));
    }
  }

  flush(): void {}

  stop(): void {
    this.stopped = true;
  }
}

export const HttpSink: ConnectorClass = configOnlyConnector({
  className: HTTP_SINK_CLASS,
  type: 'sink',
  config: CONFIG,
  validate: settings,
  tasks: 'max-tasks',
  createTask: () => new HttpSinkTask(),
});
