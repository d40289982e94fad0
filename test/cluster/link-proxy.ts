/**
 * TCP proxies a chaos test puts between the parts of a cluster, so it can cut and heal single links:
 * a network partition on loopback. Each proxy listens on a free port and forwards to one target (a
 * broker's inter-broker listener, or etcd). Every connection belongs to a *source*:
 *
 * - in front of etcd there is one proxy per broker (the broker's `metadata.store` names it), so the
 *   source is that broker;
 * - in front of a broker's inter-broker listener the source is read from the first Kafka request's
 *   client id — replica fetchers say `broker-<id>-fetcher-<n>`, the marker sender
 *   `broker-<id>-txn-markers` — so one proxy per destination still cuts single broker→broker links.
 *
 * A cut link behaves as a partition does, not as a refused port: bytes already connected are
 * swallowed and nothing comes back (a blackhole; the peer sees only its own timeouts), new
 * connections are accepted and held silent. Healing a link resets the connections held during the
 * cut (as a long partition ends with timed-out TCP connections) and lets new ones through.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** Who a connection comes from, decided from its first bytes (undefined = need more bytes). */
export type SourceOf = (firstBytes: Buffer) => string | undefined;

/** The source of a connection to a broker: `broker-<id>` from the client id of its first request. */
export const kafkaClientSource: SourceOf = (b) => {
  // Request frame: size int32, api key int16, api version int16, correlation id int32, client id (int16 length + bytes).
  if (b.length < 14) return undefined;
  const len = b.readInt16BE(12);
  if (len < 0) return 'client';
  if (b.length < 14 + len) return undefined;
  const clientId = b.subarray(14, 14 + len).toString('utf8');
  const m = /^broker-(\d+)-/.exec(clientId);
  return m ? `broker-${m[1]}` : 'client';
};

interface Link {
  client: Socket;
  upstream: Socket | null;
  source: string | undefined;
  held: boolean;
}

export class LinkProxy {
  readonly name: string;
  readonly port: number;
  private readonly server: Server;
  private readonly targetPort: number;
  private readonly sourceOf: SourceOf | string;
  private readonly links = new Set<Link>();
  /** Cut sources; '*' cuts every source. */
  private readonly cut = new Set<string>();
  /** Connections forwarded so far, per source (lets a test see that traffic really went through). */
  readonly forwarded = new Map<string, number>();

  private constructor(name: string, server: Server, port: number, targetPort: number, sourceOf: SourceOf | string) {
    this.name = name;
    this.server = server;
    this.port = port;
    this.targetPort = targetPort;
    this.sourceOf = sourceOf;
    server.on('connection', (s) => this.accept(s));
  }

  /** A proxy on a free loopback port forwarding to 127.0.0.1:`targetPort`; `source` names or finds each connection's source. */
  static async start(name: string, targetPort: number, source: SourceOf | string): Promise<LinkProxy> {
    const server = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : 0);
      });
    });
    return new LinkProxy(name, server, port, targetPort, source);
  }

  private isCut(source: string | undefined): boolean {
    return this.cut.has('*') || (source !== undefined && this.cut.has(source));
  }

  private accept(client: Socket): void {
    const link: Link = { client, upstream: null, source: typeof this.sourceOf === 'string' ? this.sourceOf : undefined, held: false };
    this.links.add(link);
    client.on('error', () => {});
    client.once('close', () => {
      this.links.delete(link);
      link.upstream?.destroy();
    });
    let pending: Buffer[] = [];
    const connectUpstream = () => {
      this.forwarded.set(link.source!, (this.forwarded.get(link.source!) ?? 0) + 1);
      const up = createConnection({ host: '127.0.0.1', port: this.targetPort });
      link.upstream = up;
      up.on('error', () => {});
      up.once('close', () => client.destroy());
      up.on('data', (d: Buffer) => {
        // Cut after connecting: the answers are lost on the way back.
        if (!this.isCut(link.source)) client.write(d);
      });
      for (const b of pending) up.write(b);
      pending = [];
    };
    const decide = () => {
      if (link.source === undefined) return;
      if (this.isCut(link.source)) link.held = true;
      else connectUpstream();
    };
    client.on('data', (d: Buffer) => {
      if (link.held) return; // swallowed
      if (link.upstream) {
        if (this.isCut(link.source)) {
          link.held = true;
          return;
        }
        link.upstream.write(d);
        return;
      }
      pending.push(d);
      if (link.source === undefined && typeof this.sourceOf === 'function') link.source = this.sourceOf(Buffer.concat(pending));
      decide();
    });
    // A fixed source decides at once (etcd's HTTP client may wait for nothing before sending).
    if (link.source !== undefined) decide();
  }

  /** Cuts the link from `source` (every source when omitted): held connections swallow bytes both ways. */
  cutFrom(source = '*'): void {
    this.cut.add(source);
    for (const l of this.links) if (this.isCut(l.source)) l.held = true;
  }

  /** Heals the link from `source` (every cut when omitted): connections held during the cut are reset. */
  healFrom(source?: string): void {
    if (source === undefined) this.cut.clear();
    else this.cut.delete(source);
    for (const l of [...this.links]) {
      if (l.held && !this.isCut(l.source)) {
        l.client.destroy();
        l.upstream?.destroy();
        this.links.delete(l);
      }
    }
  }

  async close(): Promise<void> {
    for (const l of this.links) {
      l.client.destroy();
      l.upstream?.destroy();
    }
    this.links.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
