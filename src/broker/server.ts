import { createServer, type Server as NetServer, type Socket } from 'node:net';
import type { Server as TlsServer, TLSSocket } from 'node:tls';
import type { TlsServerOptions } from '../security/tls-options.ts';
import { Connection, type ConnectionOptions, type RequestProcessor } from './connection.ts';
import { limitForAddress, NO_CONNECTION_LIMITS, normalizeAddress, type ConnectionLimits } from './connection-limits.ts';
import { compileListenAddressCheck } from './listen-address-check.ts';
import type { Logger } from './logger.ts';

export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

/** Thrown by listen() when the address cannot be bound (port in use, no permission, bad host). */
export class ListenError extends Error {
  override name = 'ListenError';
  readonly code: string | undefined;
  constructor(message: string, code: string | undefined) {
    super(message);
    this.code = code;
  }
}

/** Connections held waiting for a slot under max.connections at most: Node's default listen backlog. */
const MAX_WAITING = 511;

function listenError(host: string, port: number, err: NodeJS.ErrnoException): ListenError {
  const why =
    err.code === 'EADDRINUSE' ? 'address already in use' :
    err.code === 'EACCES' ? 'permission denied' :
    err.code === 'EADDRNOTAVAIL' ? 'address not available on this machine' :
    err.message;
  return new ListenError(`cannot listen on ${host}:${port}: ${why}`, err.code);
}

/**
 * Binds host:port and lets it go again: whether listen() would succeed, asked before the broker's
 * slow start-up (storage recovery) so a port in use fails at once without touching the data dir, while
 * the real listener opens only once the broker can answer. Port 0 always binds.
 */
export function checkBindable(host: string, port: number): Promise<void> {
  compileListenAddressCheck();
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => reject(listenError(host, port, err)));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/**
 * The broker's TCP listener: accepts sockets and gives each its Connection. Knows nothing of
 * Kafka beyond "frames in, frames out"; the RequestProcessor does the rest. Enforces Kafka's
 * connection limits (see connection-limits.ts).
 */
export class Server {
  private readonly server: NetServer;
  private readonly connections = new Set<Connection>();
  private readonly process: RequestProcessor;
  private readonly opts: ConnectionOptions;
  private readonly logger: Logger;
  private readonly limits: ConnectionLimits;
  /** Live connections per normalized remote address. */
  private readonly perIp = new Map<string, number>();
  /** Accepted sockets waiting (unread) for a slot under max.connections, oldest first. */
  private readonly waiting: { socket: Socket; onClose: () => void }[] = [];
  private nextId = 1;
  private bound: ServerAddress | null = null;
  private closing = false;
  private readonly tlsServer: TlsServer | null;
  /** Raw sockets of admitted TLS connections, from accept to close (handshakes count against max.connections). */
  private readonly handshaking = new Set<Socket>();
  private tlsOpen = 0;

  /** `tls`: this listener speaks TLS (SSL, SASL_SSL); sockets are wrapped once admitted under the limits. */
  constructor(process: RequestProcessor, opts: ConnectionOptions, limits: ConnectionLimits = NO_CONNECTION_LIMITS, tls: TlsServerOptions | null = null) {
    this.process = process;
    this.opts = { ...opts, idleMs: opts.idleMs ?? limits.idleMs };
    this.logger = opts.logger;
    this.limits = limits;
    this.tlsServer = tls ? this.createTlsServer(tls) : null;
    this.server = createServer({ noDelay: true, pauseOnConnect: true }, (socket) => {
      if (this.closing) {
        socket.destroy();
      } else if (this.live >= this.limits.maxConnections && this.waiting.length >= MAX_WAITING) {
        // Kafka's waiting connections sit in the kernel's accept backlog, which is bounded; so is ours.
        socket.on('error', ignoreError);
        socket.destroy();
      } else if (this.live >= this.limits.maxConnections) {
        // Kafka's acceptor stops accepting at max.connections; the client's connect completes in the
        // kernel backlog and its requests wait. Holding the paused socket is the same to the client.
        const entry = {
          socket,
          onClose: () => {
            const i = this.waiting.indexOf(entry);
            if (i >= 0) this.waiting.splice(i, 1);
          },
        };
        this.waiting.push(entry);
        socket.on('error', ignoreError);
        socket.once('close', entry.onClose);
        if (this.waiting.length === 1) this.logger.info(`max.connections (${this.limits.maxConnections}) reached: new connections wait for a free slot`);
      } else {
        this.admit(socket);
      }
    });
  }

  private admit(socket: Socket): void {
    const ip = normalizeAddress(socket.remoteAddress ?? '?');
    const count = this.perIp.get(ip) ?? 0;
    const limit = limitForAddress(this.limits, ip);
    if (count >= limit) {
      // Kafka: "Rejected connection from <ip>, address already has the configured maximum of N connections."
      this.logger.warn(`rejected connection from ${ip}: the address already has the configured maximum of ${limit} connections (max.connections.per.ip)`);
      socket.on('error', ignoreError);
      socket.destroy();
      return;
    }
    this.perIp.set(ip, count + 1);
    socket.once('close', () => {
      const left = (this.perIp.get(ip) ?? 1) - 1;
      if (left > 0) this.perIp.set(ip, left);
      else this.perIp.delete(ip);
    });
    if (this.tlsServer !== null) {
      // The TLS server runs the handshake (and verifies client certificates); the Connection starts
      // once it is done ('secureConnection'). Until then the socket holds a slot under the limits.
      this.handshaking.add(socket);
      socket.once('close', () => {
        if (this.handshaking.delete(socket)) this.admitWaiting();
      });
      this.tlsServer.emit('connection', socket);
      socket.resume();
      return;
    }
    this.open(socket);
    socket.resume();
  }

  private open(socket: Socket): Connection {
    const conn = new Connection(this.nextId++, socket, this.process, this.opts);
    this.connections.add(conn);
    this.logger.debug(`connection ${conn.describe()} opened`);
    socket.once('close', () => {
      this.connections.delete(conn);
      this.logger.debug(`connection ${conn.describe()} closed`);
      this.admitWaiting();
    });
    return conn;
  }

  /**
   * A TLS server fed the sockets admitted under the limits. ssl.client.auth=required makes node:tls
   * refuse a client without a trusted certificate; =requested asks for one but lets the client go
   * without (one that is offered must verify).
   */
  private createTlsServer(tls: TlsServerOptions): TlsServer {
    const listener = this.opts.listener?.name ?? 'TLS';
    // node:tls (and OpenSSL's context machinery) loads only for a TLS listener: a PLAINTEXT broker starts without it.
    const server = process.getBuiltinModule('node:tls').createServer({ ...tls.context, requestCert: tls.clientAuth !== 'none', rejectUnauthorized: tls.clientAuth === 'required' });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: TLSSocket) => {
      this.logger.warn(`TLS handshake with ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0} on listener ${listener} failed: ${(err.code ? `${err.code} ` : '') + err.message}`.replace(/\s+/g, ' '));
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      if (this.closing) {
        socket.destroy();
        return;
      }
      const conn = this.open(socket);
      // Its raw socket stays in `handshaking` until it closes: don't count the connection twice.
      this.tlsOpen++;
      socket.once('close', () => this.tlsOpen--);
      const cert = socket.getPeerX509Certificate();
      if (cert !== undefined && !socket.authorized) {
        conn.abort(`client certificate of ${conn.remoteAddress} on listener ${listener} rejected: ${String(socket.authorizationError)}`);
        return;
      }
      try {
        conn.security?.tlsEstablished(cert?.raw ?? null);
      } catch (err) {
        conn.abort(`no principal for the client certificate on listener ${listener}: ${(err as Error).message}`);
      }
    });
    return server;
  }

  /** Gives freed slots to the connections waiting for one, oldest first. */
  private admitWaiting(): void {
    while (!this.closing && this.waiting.length > 0 && this.live < this.limits.maxConnections) {
      const { socket, onClose } = this.waiting.shift()!;
      socket.off('close', onClose);
      socket.off('error', ignoreError);
      if (socket.destroyed) continue;
      this.admit(socket);
    }
  }

  /** Binds host:port (port 0 = any free port) and reports the address actually bound. */
  listen(host: string, port: number): Promise<ServerAddress> {
    compileListenAddressCheck();
    return new Promise((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException) => reject(listenError(host, port, err));
      this.server.once('error', onError);
      this.server.listen({ host, port }, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.logger.error(`listener: ${err.message}`));
        const a = this.server.address();
        if (a === null || typeof a === 'string') {
          reject(new ListenError(`cannot listen on ${host}:${port}: no address`, undefined));
          return;
        }
        this.bound = { host: a.address, port: a.port };
        resolve(this.bound);
      });
    });
  }

  get address(): ServerAddress | null {
    return this.bound;
  }

  /** Connections holding a slot: open ones and TLS handshakes in progress. */
  private get live(): number {
    return this.connections.size + this.handshaking.size - this.tlsOpen;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stops accepting, drops every connection, and resolves once the listener is closed. */
  close(): Promise<void> {
    this.closing = true;
    for (const { socket } of this.waiting.splice(0)) socket.destroy();
    for (const socket of this.handshaking) socket.destroy();
    return new Promise((resolve) => {
      if (!this.server.listening) {
        for (const c of this.connections) c.destroy();
        resolve();
        return;
      }
      this.server.close(() => resolve());
      for (const c of this.connections) c.destroy();
    });
  }
}

/** Errors of sockets not (yet) owned by a Connection: resets by clients that gave up are routine. */
function ignoreError(): void {}
