import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Props } from '../api.ts';
import { RestError, type TargetState } from '../runtime/herder.ts';
import { RequestTargetError, type HerderApi } from '../runtime/herder-api.ts';
import { SIGNATURE_ALGORITHM_HEADER, SIGNATURE_HEADER } from '../runtime/distributed/request-signature.ts';
import { COMMIT_ID, KAFKA_VERSION } from '../version.ts';

/**
 * Kafka Connect's REST API (rest/resources/*.java) on node:http: the same paths, bodies, status codes
 * and error shape `{"error_code":<status>,"message":"…"}`. Unknown paths answer Jersey's
 * `HTTP 404 Not Found`, wrong methods `HTTP 405 Method Not Allowed`.
 */

export interface RestServerOptions {
  herder: HerderApi;
  host: string;
  port: number;
  clusterId: () => string | null;
  topicTrackingEnable: boolean;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
/** The request as internal endpoints need it: headers and the body's exact text (signatures cover it). */
interface RawRequest {
  header(name: string): string | null;
  text(): Promise<string>;
}
type Handler = (m: RegExpExecArray, q: URLSearchParams, body: () => Promise<unknown>, raw: RawRequest) => Promise<Reply> | Reply;

const ok = (body: unknown): Reply => ({ status: 200, body });

export class RestServer {
  private readonly opts: RestServerOptions;
  private server: Server | null = null;
  private readonly routes: Array<[string, RegExp, Handler]>;

  constructor(opts: RestServerOptions) {
    this.opts = opts;
    const h = opts.herder;
    const N = '([^/]+)';
    const name = (m: RegExpExecArray) => decodeURIComponent(m[1]!);
    const objectBody = async (body: () => Promise<unknown>): Promise<Record<string, unknown>> => {
      const b = await body();
      if (b === null || typeof b !== 'object' || Array.isArray(b)) throw new RestError(400, 'Request body must be a JSON object');
      return b as Record<string, unknown>;
    };
    const stringMap = (o: Record<string, unknown>): Props => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
    const checkName = (urlName: string, config: Props) => {
      if (config.name !== undefined && config.name !== urlName) throw new RestError(400, `Connector name configuration (${config.name}) doesn't match connector name in the URL (${urlName})`);
      config.name = urlName;
    };
    const tracking = () => {
      if (!opts.topicTrackingEnable) throw new RestError(403, 'Topic tracking is disabled.');
    };
    const bool = (q: URLSearchParams, k: string) => (q.get(k) ?? 'false').toLowerCase() === 'true';

    this.routes = [
      ['GET', /^\/$/, () => ok({ version: KAFKA_VERSION, commit: COMMIT_ID, kafka_cluster_id: opts.clusterId() })],
      [
        'GET',
        /^\/connectors$/,
        async (_m, q) => {
          const expand = q.getAll('expand');
          if (expand.length === 0) return ok(await h.connectors());
          const out: Record<string, Record<string, unknown>> = {};
          for (const c of await h.connectors()) {
            const e: Record<string, unknown> = {};
            if (expand.includes('status')) e.status = await h.status(c);
            if (expand.includes('info')) e.info = await h.info(c);
            out[c] = e;
          }
          return ok(out);
        },
      ],
      [
        'POST',
        /^\/connectors$/,
        async (_m, _q, body) => {
          const b = await objectBody(body);
          const cname = typeof b.name === 'string' ? b.name.trim() : '';
          if (b.config !== undefined && (b.config === null || typeof b.config !== 'object')) throw new RestError(400, 'Connector config must be a JSON object');
          const config = stringMap((b.config ?? {}) as Record<string, unknown>);
          checkName(cname, config);
          const initial = b.initial_state === undefined || b.initial_state === null ? 'RUNNING' : String(b.initial_state).toUpperCase();
          const target: Record<string, TargetState> = { RUNNING: 'STARTED', PAUSED: 'PAUSED', STOPPED: 'STOPPED' };
          if (!target[initial]) throw new RestError(400, `Invalid initial state ${b.initial_state}: must be one of RUNNING, PAUSED, STOPPED`);
          const r = await h.putConnectorConfig(cname, config, false, target[initial]);
          return { status: 201, body: r.info, headers: { location: `/connectors/${encodeURIComponent(cname)}` } };
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}$`), async (m) => ok(await h.info(name(m)))],
      [
        'DELETE',
        new RegExp(`^/connectors/${N}$`),
        async (m) => {
          await h.deleteConnector(name(m));
          return { status: 204 };
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/config$`), async (m) => ok(await h.config(name(m)))],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/config$`),
        async (m, _q, body) => {
          const config = stringMap(await objectBody(body));
          checkName(name(m), config);
          const r = await h.putConnectorConfig(name(m), config, true);
          return r.created ? { status: 201, body: r.info, headers: { location: `/connectors/${encodeURIComponent(name(m))}` } } : ok(r.info);
        },
      ],
      [
        'PATCH',
        new RegExp(`^/connectors/${N}/config$`),
        async (m, _q, body) => {
          const patch = await objectBody(body);
          const current = await h.config(name(m));
          if (patch.name !== undefined && patch.name !== name(m)) throw new RestError(400, `Connector name configuration (${String(patch.name)}) doesn't match connector name in the URL (${name(m)})`);
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) delete current[k];
            else current[k] = typeof v === 'string' ? v : JSON.stringify(v);
          }
          return ok((await h.putConnectorConfig(name(m), current, true)).info);
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/status$`), async (m) => ok(await h.status(name(m)))],
      ['GET', new RegExp(`^/connectors/${N}/tasks$`), async (m) => ok(await h.taskConfigs(name(m)))],
      ['GET', new RegExp(`^/connectors/${N}/tasks/(-?\\d+)/status$`), async (m) => ok(await h.taskStatus(name(m), Number(m[2])))],
      [
        'POST',
        new RegExp(`^/connectors/${N}/tasks/(-?\\d+)/restart$`),
        async (m) => {
          await h.restartTask(name(m), Number(m[2]));
          return { status: 204 };
        },
      ],
      [
        'POST',
        new RegExp(`^/connectors/${N}/restart$`),
        async (m, q) => {
          const r = await h.restart(name(m), bool(q, 'includeTasks'), bool(q, 'onlyFailed'));
          return r === null ? { status: 204 } : { status: 202, body: r };
        },
      ],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/pause$`),
        async (m) => {
          await h.pause(name(m));
          return { status: 202 };
        },
      ],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/resume$`),
        async (m) => {
          await h.resume(name(m));
          return { status: 202 };
        },
      ],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/stop$`),
        async (m) => {
          await h.stop(name(m));
          return { status: 204 };
        },
      ],
      [
        'GET',
        new RegExp(`^/connectors/${N}/topics$`),
        async (m) => {
          tracking();
          return ok({ [name(m)]: await h.activeTopics(name(m)) });
        },
      ],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/topics/reset$`),
        async (m) => {
          tracking();
          await h.resetActiveTopics(name(m));
          return { status: 202 };
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/offsets$`), async (m) => ok(await h.offsets(name(m)))],
      ['PATCH', new RegExp(`^/connectors/${N}/offsets$`), async (m, _q, body) => ok(await h.alterOffsets(name(m), await body()))],
      ['DELETE', new RegExp(`^/connectors/${N}/offsets$`), async (m) => ok(await h.resetOffsets(name(m)))],
      [
        'POST',
        new RegExp(`^/connectors/${N}/tasks$`),
        async (m, _q, body, raw) => {
          if (!h.putTaskConfigs) throw new RestError(404, 'HTTP 404 Not Found');
          const b = await body();
          if (!Array.isArray(b) || b.some((c) => c === null || typeof c !== 'object')) throw new RestError(400, 'Task configs must be a JSON array of objects');
          const signature = { algorithm: raw.header(SIGNATURE_ALGORITHM_HEADER), signature: raw.header(SIGNATURE_HEADER), body: await raw.text() };
          await h.putTaskConfigs(name(m), (b as Array<Record<string, unknown>>).map(stringMap), signature);
          return { status: 204 };
        },
      ],
      ['GET', /^\/connector-plugins$/, (_m, q) => ok(h.plugins((q.get('connectorsOnly') ?? 'true').toLowerCase() !== 'false'))],
      [
        'PUT',
        /^\/connector-plugins\/([^/]+)\/config\/validate$/,
        async (m, _q, body) => {
          const plugin = decodeURIComponent(m[1]!);
          const config = stringMap(await objectBody(body));
          const norm = (s: string) => (s.endsWith('Connector') ? s.slice(0, -'Connector'.length) : s);
          const included = config['connector.class'];
          if (included !== undefined && !norm(included).endsWith(norm(plugin))) throw new RestError(400, `Included connector type ${included} does not match request type ${plugin}`);
          if (included === undefined) config['connector.class'] = plugin;
          return ok(await h.validate(config));
        },
      ],
    ];
  }

  async listen(): Promise<{ host: string; port: number }> {
    const server = (this.server = createServer((req, res) => void this.handle(req, res)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const a = server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    this.server = null;
    await new Promise<void>((r) => {
      s.close(() => r());
      s.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    let raw: Promise<string> | null = null;
    const rawBody = () => (raw ??= readBody(req));
    let reply: Reply;
    try {
      const matching = this.routes.filter(([, re]) => re.test(path));
      if (matching.length === 0) throw new RestError(404, 'HTTP 404 Not Found');
      const route = matching.find(([m]) => m === method);
      if (!route) throw new RestError(405, 'HTTP 405 Method Not Allowed');
      const m = route[1].exec(path)!;
      const header = (n: string) => {
        const v = req.headers[n.toLowerCase()];
        return v === undefined ? null : Array.isArray(v) ? v[0]! : v;
      };
      reply = await route[2](m, url.searchParams, async () => parseJson(await rawBody()), { header, text: rawBody });
    } catch (e) {
      if (e instanceof RequestTargetError) reply = await forward(e, req, url, method, rawBody).catch((fe: Error) => errorReply(fe));
      else reply = errorReply(e as Error);
    }
    const headers: Record<string, string> = { ...(reply.headers ?? {}) };
    if (reply.body !== undefined) {
      const text = JSON.stringify(reply.body);
      headers['content-type'] = 'application/json';
      res.writeHead(reply.status, headers);
      res.end(text);
    } else {
      res.writeHead(reply.status, headers);
      res.end();
    }
  }
}

function errorReply(e: Error): Reply {
  const status = e instanceof RestError ? e.status : 500;
  return { status, body: { error_code: status, message: e.message } };
}

/**
 * Kafka's HerderRequestHandler.completeOrForwardRequest: a request another worker must handle (the
 * leader, or the worker running a task) is sent there with `forward=true` on the first hop and
 * `forward=false` on a second, so it settles within two hops; a request that arrives with
 * `forward=false` and still is not ours answers 409.
 */
async function forward(e: RequestTargetError, req: IncomingMessage, url: URL, method: string, rawBody: () => Promise<string>): Promise<Reply> {
  const fwd = url.searchParams.get('forward');
  if (fwd !== null && fwd.toLowerCase() === 'false') throw new RestError(409, 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)');
  const target = new URL(url.pathname + url.search, e.targetUrl.replace(/\/+$/, '') + '/');
  target.searchParams.set('forward', fwd === null ? 'true' : 'false');
  const body = method === 'GET' || method === 'DELETE' ? undefined : await rawBody();
  let res: Response;
  try {
    const headers: Record<string, string> = body ? { 'content-type': 'application/json' } : {};
    // A signed internal request keeps its signature on the way to the leader.
    for (const h of [SIGNATURE_HEADER, SIGNATURE_ALGORITHM_HEADER]) {
      const v = req.headers[h.toLowerCase()];
      if (typeof v === 'string') headers[h] = v;
    }
    res = await fetch(target, { method, headers, body: body || undefined });
  } catch (err) {
    throw new RestError(500, `Error trying to forward REST request: ${(err as Error).message} (${target.origin})`);
  }
  const text = await res.text();
  const headers: Record<string, string> = {};
  const location = res.headers.get('location');
  if (location) headers.location = location;
  let parsed: unknown = undefined;
  if (text !== '') {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { error_code: res.status, message: text };
    }
  }
  return { status: res.status, body: parsed, headers };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 16 * 1024 * 1024) throw new RestError(413, 'Request body too large');
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RestError(400, `Cannot deserialize the request body as JSON: ${(e as Error).message}`);
  }
}
