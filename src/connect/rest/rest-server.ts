import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Props } from '../api.ts';
import { RestError, type Herder, type TargetState } from '../runtime/herder.ts';
import { COMMIT_ID, KAFKA_VERSION } from '../version.ts';

/**
 * Kafka Connect's REST API (rest/resources/*.java) on node:http: the same paths, bodies, status codes
 * and error shape `{"error_code":<status>,"message":"…"}`. Unknown paths answer Jersey's
 * `HTTP 404 Not Found`, wrong methods `HTTP 405 Method Not Allowed`.
 */

export interface RestServerOptions {
  herder: Herder;
  host: string;
  port: number;
  clusterId: () => string | null;
  topicTrackingEnable: boolean;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (m: RegExpExecArray, q: URLSearchParams, body: () => Promise<unknown>) => Promise<Reply> | Reply;

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
        (_m, q) => {
          const expand = q.getAll('expand');
          if (expand.length === 0) return ok(h.connectors());
          const out: Record<string, Record<string, unknown>> = {};
          for (const c of h.connectors()) {
            const e: Record<string, unknown> = {};
            if (expand.includes('status')) e.status = h.status(c);
            if (expand.includes('info')) e.info = h.info(c);
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
      ['GET', new RegExp(`^/connectors/${N}$`), (m) => ok(h.info(name(m)))],
      [
        'DELETE',
        new RegExp(`^/connectors/${N}$`),
        async (m) => {
          await h.deleteConnector(name(m));
          return { status: 204 };
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/config$`), (m) => ok(h.config(name(m)))],
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
          const current = h.config(name(m));
          if (patch.name !== undefined && patch.name !== name(m)) throw new RestError(400, `Connector name configuration (${String(patch.name)}) doesn't match connector name in the URL (${name(m)})`);
          for (const [k, v] of Object.entries(patch)) {
            if (v === null) delete current[k];
            else current[k] = typeof v === 'string' ? v : JSON.stringify(v);
          }
          return ok((await h.putConnectorConfig(name(m), current, true)).info);
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/status$`), (m) => ok(h.status(name(m)))],
      ['GET', new RegExp(`^/connectors/${N}/tasks$`), (m) => ok(h.taskConfigs(name(m)))],
      ['GET', new RegExp(`^/connectors/${N}/tasks/(-?\\d+)/status$`), (m) => ok(h.taskStatus(name(m), Number(m[2])))],
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
        (m) => {
          h.pause(name(m));
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
        (m) => {
          tracking();
          return ok({ [name(m)]: h.activeTopics(name(m)) });
        },
      ],
      [
        'PUT',
        new RegExp(`^/connectors/${N}/topics/reset$`),
        (m) => {
          tracking();
          h.resetActiveTopics(name(m));
          return { status: 202 };
        },
      ],
      ['GET', new RegExp(`^/connectors/${N}/offsets$`), async (m) => ok(await h.offsets(name(m)))],
      ['PATCH', new RegExp(`^/connectors/${N}/offsets$`), async (m, _q, body) => ok(await h.alterOffsets(name(m), await body()))],
      ['DELETE', new RegExp(`^/connectors/${N}/offsets$`), async (m) => ok(await h.resetOffsets(name(m)))],
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
    let reply: Reply;
    try {
      const matching = this.routes.filter(([, re]) => re.test(path));
      if (matching.length === 0) throw new RestError(404, 'HTTP 404 Not Found');
      const route = matching.find(([m]) => m === method);
      if (!route) throw new RestError(405, 'HTTP 405 Method Not Allowed');
      const m = route[1].exec(path)!;
      reply = await route[2](m, url.searchParams, () => readJson(req));
    } catch (e) {
      const status = e instanceof RestError ? e.status : 500;
      reply = { status, body: { error_code: status, message: (e as Error).message } };
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

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > 16 * 1024 * 1024) throw new RestError(413, 'Request body too large');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RestError(400, `Cannot deserialize the request body as JSON: ${(e as Error).message}`);
  }
}
