/**
 * `KvBackend` over etcd's v3 JSON gateway (`/v3/kv/*`, `/v3/lease/*`, `/v3/watch`) with node's fetch.
 *
 * Why the gateway and not a gRPC client: it is part of every etcd v3 server (3.4+), needs no npm
 * dependency and no native or .proto loading, so it works unchanged inside the single-file binary.
 * The JSON shapes are protobuf's JSON mapping: keys and values are base64, int64s are strings, fields
 * at their default (false, 0, PUT) are omitted.
 *
 * Several endpoints may be given; a request that fails to connect is retried on the next one, so a
 * 3-member etcd survives the loss of the member a broker happened to talk to.
 */
import type { Compare, KeyValue, KvBackend, KvWatch, TxnOp, TxnResult, WatchEvent } from './kv-backend.ts';

interface RawKv {
  key?: string;
  value?: string;
  create_revision?: string;
  mod_revision?: string;
  lease?: string;
}
interface RawHeader {
  revision?: string;
}

export class EtcdError extends Error {
  override name = 'EtcdError';
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined): string => (s ? Buffer.from(s, 'base64').toString('utf8') : '');
const num = (s: string | undefined): number => (s ? Number(s) : 0);

/** etcd's range_end for "every key with this prefix": the prefix with its last byte incremented. */
function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = bytes[i]! + 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64'); // all 0xff: "to the end of the key space"
}

function toKv(raw: RawKv): KeyValue {
  return {
    key: unb64(raw.key),
    value: unb64(raw.value),
    createRevision: num(raw.create_revision),
    modRevision: num(raw.mod_revision),
    lease: raw.lease ?? '0',
  };
}

/** Parses `etcd://h:p[,h:p…]` or `http://h:p[,…]` into base URLs. */
export function parseEtcdEndpoints(spec: string): string[] {
  const rest = spec.replace(/^etcd:\/\//, '');
  const urls = rest.split(',').map((part) => part.trim()).filter((p) => p.length > 0);
  if (urls.length === 0) throw new EtcdError(`metadata store "${spec}" names no etcd endpoint (expected etcd://host:port[,host:port...])`);
  return urls.map((u) => {
    const url = /^https?:\/\//.test(u) ? u : `http://${u}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new EtcdError(`bad etcd endpoint "${u}" in "${spec}" (expected host:port)`);
    }
    if (!parsed.port) throw new EtcdError(`etcd endpoint "${u}" in "${spec}" has no port (etcd's client port is usually 2379)`);
    return `${parsed.protocol}//${parsed.host}`;
  });
}

export interface EtcdKvOptions {
  endpoints: string[];
  /** Per-request timeout (not for watches). */
  requestTimeoutMs?: number;
}

export class EtcdKv implements KvBackend {
  private readonly endpoints: string[];
  private readonly timeoutMs: number;
  private current = 0;
  private readonly watches = new Set<AbortController>();

  constructor(options: EtcdKvOptions) {
    if (options.endpoints.length === 0) throw new EtcdError('no etcd endpoints given');
    this.endpoints = options.endpoints;
    this.timeoutMs = options.requestTimeoutMs ?? 5000;
  }

  async get(key: string): Promise<{ kv: KeyValue | null; revision: number }> {
    const res = await this.call<{ header?: RawHeader; kvs?: RawKv[] }>('/v3/kv/range', { key: b64(key) });
    const raw = res.kvs?.[0];
    return { kv: raw ? toKv(raw) : null, revision: num(res.header?.revision) };
  }

  async range(prefix: string): Promise<{ kvs: KeyValue[]; revision: number }> {
    const res = await this.call<{ header?: RawHeader; kvs?: RawKv[] }>('/v3/kv/range', {
      key: b64(prefix),
      range_end: prefixEnd(prefix),
    });
    return { kvs: (res.kvs ?? []).map(toKv), revision: num(res.header?.revision) };
  }

  async txn(compares: Compare[], success: TxnOp[]): Promise<TxnResult> {
    const body = {
      compare: compares.map((c) =>
        c.target === 'create'
          ? { key: b64(c.key), target: 'CREATE', result: 'EQUAL', create_revision: String(c.equals) }
          : { key: b64(c.key), target: 'MOD', result: 'EQUAL', mod_revision: String(c.equals) },
      ),
      success: success.map((op) => {
        if (op.op === 'put') {
          return { request_put: { key: b64(op.key), value: b64(op.value), ...(op.lease && op.lease !== '0' ? { lease: op.lease } : {}) } };
        }
        if (op.op === 'delete') return { request_delete_range: { key: b64(op.key) } };
        return { request_delete_range: { key: b64(op.prefix), range_end: prefixEnd(op.prefix) } };
      }),
      failure: [],
    };
    const res = await this.call<{ header?: RawHeader; succeeded?: boolean }>('/v3/kv/txn', body);
    return { succeeded: res.succeeded === true, revision: num(res.header?.revision) };
  }

  async grantLease(ttlMs: number): Promise<string> {
    const ttl = Math.max(1, Math.ceil(ttlMs / 1000));
    const res = await this.call<{ ID?: string; error?: string }>('/v3/lease/grant', { TTL: String(ttl) });
    if (!res.ID) throw new EtcdError(`etcd did not grant a lease: ${JSON.stringify(res)}`);
    return res.ID;
  }

  async keepAlive(leaseId: string): Promise<number> {
    // LeaseKeepAlive is a bidirectional stream; through the gateway one request line gets one
    // response line and the stream stays open, so read one line and hang up.
    const lines = await this.stream('/v3/lease/keepalive', { ID: leaseId }, 1, this.timeoutMs);
    const result = (lines[0] as { result?: { TTL?: string } } | undefined)?.result;
    return num(result?.TTL) * 1000;
  }

  async revokeLease(leaseId: string): Promise<void> {
    try {
      await this.call('/v3/lease/revoke', { ID: leaseId });
    } catch (err) {
      if (err instanceof EtcdError && /lease not found/.test(err.message)) return;
      throw err;
    }
  }

  async watch(
    prefix: string,
    fromRevision: number,
    onEvents: (events: WatchEvent[]) => void,
    onError: (err: Error) => void,
  ): Promise<KvWatch> {
    const abort = new AbortController();
    this.watches.add(abort);
    const body = JSON.stringify({
      create_request: { key: b64(prefix), range_end: prefixEnd(prefix), start_revision: String(fromRevision) },
    });
    const res = await this.fetchAny('/v3/watch', body, abort.signal);
    let created!: () => void;
    let failed!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      created = resolve;
      failed = reject;
    });
    let isCreated = false;
    const handleLine = (line: string): void => {
      const msg = JSON.parse(line) as {
        result?: { created?: boolean; canceled?: boolean; cancel_reason?: string; compact_revision?: string; events?: { type?: string; kv?: RawKv }[] };
        error?: { message?: string } | string;
      };
      if (msg.error) throw new EtcdError(`etcd watch failed: ${typeof msg.error === 'string' ? msg.error : msg.error.message}`);
      const r = msg.result;
      if (!r) return;
      if (r.created && !isCreated) {
        isCreated = true;
        created();
      }
      if (r.canceled) {
        throw new EtcdError(
          `etcd cancelled the watch on ${prefix}${r.compact_revision ? ` (revision ${fromRevision} compacted; oldest is ${r.compact_revision})` : ''}${r.cancel_reason ? `: ${r.cancel_reason}` : ''}`,
        );
      }
      if (r.events && r.events.length > 0) {
        onEvents(
          r.events.map((e) => ({ type: e.type === 'DELETE' ? 'delete' : 'put', kv: toKv(e.kv ?? {}) }) satisfies WatchEvent),
        );
      }
    };
    void (async () => {
      try {
        await readLines(res, handleLine);
        if (!abort.signal.aborted) throw new EtcdError(`etcd closed the watch on ${prefix}`);
      } catch (err) {
        if (abort.signal.aborted) return;
        const e = err instanceof Error ? err : new Error(String(err));
        if (!isCreated) failed(e);
        else onError(e);
      } finally {
        this.watches.delete(abort);
      }
    })();
    await ready;
    return {
      close: () => {
        this.watches.delete(abort);
        abort.abort();
      },
    };
  }

  async close(): Promise<void> {
    for (const a of this.watches) a.abort();
    this.watches.clear();
  }

  private async call<T>(path: string, body: unknown): Promise<T> {
    const res = await this.fetchAny(path, JSON.stringify(body), AbortSignal.timeout(this.timeoutMs));
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new EtcdError(`etcd ${path}: unreadable response (HTTP ${res.status}): ${text.slice(0, 200)}`);
    }
    const err = (parsed as { error?: string; message?: string }).error;
    if (!res.ok || err) {
      throw new EtcdError(`etcd ${path}: ${(parsed as { message?: string }).message ?? err ?? `HTTP ${res.status}`}`);
    }
    return parsed as T;
  }

  /** Reads the first `count` JSON lines of a streaming endpoint, then hangs up. */
  private async stream(path: string, body: unknown, count: number, timeoutMs: number): Promise<unknown[]> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const out: unknown[] = [];
    try {
      const res = await this.fetchAny(path, JSON.stringify(body), abort.signal);
      await readLines(res, (line) => {
        out.push(JSON.parse(line));
        if (out.length >= count) abort.abort();
      });
    } catch (err) {
      if (out.length < count) throw err instanceof Error ? err : new EtcdError(String(err));
    } finally {
      clearTimeout(timer);
    }
    return out;
  }

  /** POSTs to the current endpoint, moving on to the next one when a connection cannot be made. */
  private async fetchAny(path: string, body: string, signal: AbortSignal): Promise<Response> {
    let lastErr: unknown;
    for (let attempt = 0; attempt < this.endpoints.length; attempt++) {
      const base = this.endpoints[this.current]!;
      try {
        return await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, signal });
      } catch (err) {
        if (signal.aborted) throw err;
        lastErr = err;
        this.current = (this.current + 1) % this.endpoints.length;
      }
    }
    const cause = lastErr instanceof Error ? (lastErr.cause instanceof Error ? lastErr.cause.message : lastErr.message) : String(lastErr);
    throw new EtcdError(`cannot reach etcd at ${this.endpoints.join(',')}: ${cause}`);
  }
}

/** Feeds each newline-delimited JSON message of a streamed response body to `onLine`. */
async function readLines(res: Response, onLine: (line: string) => void): Promise<void> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) onLine(line);
    }
  }
  const rest = buf.trim();
  if (rest) onLine(rest);
}
