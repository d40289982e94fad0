import type { Socket } from 'node:net';
import { FrameSplitter } from '../protocol/framing.ts';
import type { AnyApiDescriptor, RequestInputOf, ResponseOf } from '../protocol/api-descriptor.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { decodeResponseFrame, encodeRequestFrameChunks, responseHeaderVersion } from '../protocol/headers.ts';
import { ApiVersionsApi, type ApiVersionsResponse } from '../protocol/messages/api-versions.ts';
import { ConnectionError, KafkaError, TimeoutError, UnsupportedApiError } from './errors.ts';
import { authenticateSasl, type Exchange } from './sasl-authenticator.ts';
import { looksLikeTls, openSocket, tlsAlertError, tlsListenerError } from './secure-transport.ts';
import { PLAINTEXT, usesSasl, usesTls, type ClientSecurity } from './security.ts';

/**
 * The client's TCP connection to one broker (the broker's side of a connection is
 * src/broker/connection.ts). Requests are pipelined: each gets a correlation id, and responses are
 * matched by id (the response does not name its API, so the descriptor and version are remembered per
 * id). On connect it negotiates versions with ApiVersions (guide §6) and afterwards every request goes
 * out at the highest version both the descriptor's codec and the broker support.
 *
 *   const res = await conn.request(MetadataApi, { topics: null });   // res: MetadataResponse
 */

export const SOFTWARE_NAME = 'kstream';
export const SOFTWARE_VERSION = '0.1.0';

export interface ConnectionOptions {
  host: string;
  port: number;
  clientId?: string;
  /** Per-request timeout (ms). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Node id in the cluster, when known (for messages). */
  nodeId?: number;
  /** TLS and SASL (src/client/security.ts); PLAINTEXT when absent. */
  security?: ClientSecurity;
}

interface Pending {
  api: AnyApiDescriptor;
  version: number;
  /** Decodes the response frame (no length prefix); throws on bytes it cannot read. */
  decode: (frame: Buffer) => unknown;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface RequestOptions {
  /** Use exactly this version instead of the negotiated one. */
  version?: number;
  /** Highest version the caller knows how to fill/read (e.g. it relies on a field layout). */
  maxVersion?: number;
  timeoutMs?: number;
}

export class BrokerConnection {
  readonly host: string;
  readonly port: number;
  readonly address: string;
  readonly clientId: string;
  readonly nodeId: number | undefined;
  private readonly requestTimeoutMs: number;
  private socket: Socket | null = null;
  private readonly splitter = new FrameSplitter();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closedError: Error | null = null;
  /** Broker's [min, max] per API key, from ApiVersions. */
  readonly brokerVersions = new Map<number, [number, number]>();
  private readonly closeListeners: Array<(err: Error | null) => void> = [];
  readonly security: ClientSecurity;
  /** Where the connection is: answers to a close differ (a close during ApiVersions hints at TLS). */
  private phase: 'connecting' | 'negotiating' | 'authenticating' | 'ready' = 'connecting';
  private gotData = false;
  /** KIP-368: the SASL session's lifetime (0 = unlimited) and the running re-authentication, if any. */
  private sessionLifetimeMs = 0;
  private reauthTimer: NodeJS.Timeout | undefined;
  private reauthenticating: Promise<void> | null = null;

  constructor(opts: ConnectionOptions) {
    this.host = opts.host;
    this.port = opts.port;
    this.address = opts.host.includes(':') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
    this.clientId = opts.clientId ?? 'kstream';
    this.nodeId = opts.nodeId;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.security = opts.security ?? PLAINTEXT;
  }

  /** Connects and negotiates API versions. */
  static async open(opts: ConnectionOptions): Promise<BrokerConnection> {
    const c = new BrokerConnection(opts);
    await c.connectSocket(opts.connectTimeoutMs ?? 10_000);
    try {
      c.phase = 'negotiating';
      await c.negotiate();
      if (usesSasl(c.security.protocol)) {
        c.phase = 'authenticating';
        await c.authenticate(false);
      }
      c.phase = 'ready';
    } catch (e) {
      c.close();
      throw e;
    }
    return c;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  onClose(fn: (err: Error | null) => void): void {
    this.closeListeners.push(fn);
  }

  private async connectSocket(timeoutMs: number): Promise<void> {
    const socket = await openSocket(this.host, this.port, this.address, this.security, timeoutMs);
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const alert = usesTls(this.security.protocol) ? tlsAlertError(this.address, err) : null;
      this.fail(alert ?? new ConnectionError(`connection to ${this.address} failed: ${err.message}`, this.address, err.code, { cause: err }));
    });
    socket.on('close', () => this.fail(new ConnectionError(`connection to ${this.address} closed by the broker${this.closeHint()}`, this.address)));
  }

  /** Why the broker may have closed: the likely mismatch between this client and the listener. */
  private closeHint(): string {
    const p = this.security.protocol;
    if (this.phase === 'negotiating' && !usesTls(p)) return ` during ApiVersions — if this is a TLS listener, use --security-protocol ${usesSasl(p) ? 'SASL_SSL' : 'SSL'}`;
    if (this.phase === 'authenticating') return ' during SASL authentication (see the broker log for why)';
    if (this.phase === 'ready' && this.servedRequests === 0 && !usesSasl(p)) return ` — if this listener uses SASL, use --security-protocol ${usesTls(p) ? 'SASL_SSL' : 'SASL_PLAINTEXT'} with --sasl-mechanism`;
    if (this.sessionLifetimeMs > 0) return ` (the SASL session lifetime is ${this.sessionLifetimeMs} ms; the broker closes a connection whose session expired)`;
    return '';
  }

  /** Responses received after connecting (a SASL listener closes on a non-SASL client's first request). */
  private servedRequests = 0;

  /** SaslHandshake + SaslAuthenticate on this connection; schedules the KIP-368 re-authentication. */
  private async authenticate(reauthenticating: boolean): Promise<void> {
    const sasl = this.security.sasl;
    if (!sasl) throw new ConnectionError(`security.protocol ${this.security.protocol} needs a SASL mechanism and credentials`, this.address);
    const exchange: Exchange = (api, version, body) => this.send(api, version, body, this.requestTimeoutMs, (frame) => decodeResponseFrame(api, version, frame).body);
    const { sessionLifetimeMs } = await authenticateSasl(exchange, (api) => this.versionFor(api), this.address, sasl, reauthenticating);
    this.sessionLifetimeMs = sessionLifetimeMs;
    if (sessionLifetimeMs > 0 && !this.closed) {
      // As Kafka's client: re-authenticate at a random 85–95 % of the lifetime, so connections spread out.
      const delay = Math.max(1, Math.floor(sessionLifetimeMs * (0.85 + Math.random() * 0.1)));
      this.reauthTimer = setTimeout(() => this.reauthenticate(), delay);
      this.reauthTimer.unref();
    }
  }

  /** Re-authentication: new requests wait for it (the broker refuses them once the session expired). */
  private reauthenticate(): void {
    if (this.closed) return;
    this.reauthenticating = this.authenticate(true).then(
      () => {
        this.reauthenticating = null;
      },
      (e: Error) => {
        this.reauthenticating = null;
        this.fail(e instanceof KafkaError ? e : new ConnectionError(`re-authentication with ${this.address} failed: ${e.message}`, this.address, undefined, { cause: e }));
      },
    );
  }

  /** ApiVersions at our highest version; on UNSUPPORTED_VERSION retry at what the broker offers, or v0. */
  private async negotiate(): Promise<void> {
    let version = Math.min(ApiVersionsApi.validVersions.max, 3);
    for (let attempt = 0; attempt < 3; attempt++) {
      const body = { clientSoftwareName: SOFTWARE_NAME, clientSoftwareVersion: SOFTWARE_VERSION };
      const res = await this.send(ApiVersionsApi, version, body, this.requestTimeoutMs, decodeApiVersionsReply(version));
      if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
        const entry = res.apiKeys.find((k) => k.apiKey === ApiVersionsApi.key);
        const next = entry ? Math.min(entry.maxVersion, version - 1) : 0;
        if (next < 0 || next >= version) break;
        version = next;
        continue;
      }
      if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, `ApiVersions from ${this.address}`);
      for (const k of res.apiKeys) this.brokerVersions.set(k.apiKey, [k.minVersion, k.maxVersion]);
      return;
    }
    throw new UnsupportedApiError(`${this.address} does not accept any ApiVersions version we speak`);
  }

  /** Highest version of an API both sides support (capped by `cap`), or -1 if none. */
  versionFor(api: AnyApiDescriptor, cap = Infinity): number {
    const theirs = this.brokerVersions.get(api.key);
    if (!theirs) return -1;
    const max = Math.min(api.validVersions.max, theirs[1], cap);
    const min = Math.max(api.validVersions.min, theirs[0]);
    return max >= min ? max : -1;
  }

  supports(api: AnyApiDescriptor, version = 0): boolean {
    const theirs = this.brokerVersions.get(api.key);
    return theirs !== undefined && theirs[0] <= version && version <= theirs[1];
  }

  /**
   * Sends a request at the negotiated version (or `opts.version`) and resolves with the decoded
   * response, typed by the descriptor: `request(ProduceApi, body)` takes a ProduceRequestInput and
   * gives a ProduceResponse.
   */
  request<D extends AnyApiDescriptor>(api: D, body: RequestInputOf<D>, opts: RequestOptions = {}): Promise<ResponseOf<D>> {
    if (this.reauthenticating) return this.reauthenticating.then(() => this.request(api, body, opts));
    const version = this.pickVersion(api, opts);
    if (version instanceof Error) return Promise.reject(version);
    return this.send(api, version, body, opts.timeoutMs ?? this.requestTimeoutMs, (frame) => decodeResponseFrame(api, version, frame).body);
  }

  /**
   * Sends a request the broker answers with nothing (Produce with acks=0); resolves once it is
   * written to the socket buffer.
   */
  requestNoResponse<D extends AnyApiDescriptor>(api: D, body: RequestInputOf<D>, opts: RequestOptions = {}): Promise<void> {
    if (this.reauthenticating) return this.reauthenticating.then(() => this.requestNoResponse(api, body, opts));
    const version = this.pickVersion(api, opts);
    if (version instanceof Error) return Promise.reject(version);
    try {
      this.write(api, version, body);
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve();
  }

  /** The version `request` would use (to shape a body by version), or -1 when there is none. */
  negotiated(api: AnyApiDescriptor, cap?: number): number {
    return this.versionFor(api, cap);
  }

  private pickVersion(api: AnyApiDescriptor, opts: RequestOptions): number | Error {
    if (opts.version !== undefined) return opts.version;
    const version = this.versionFor(api, opts.maxVersion);
    if (version >= 0) return version;
    const theirs = this.brokerVersions.get(api.key);
    return new UnsupportedApiError(
      theirs
        ? `broker ${this.address} serves ${api.name} v${theirs[0]}–${theirs[1]}, none of which kstream speaks`
        : `broker ${this.address} does not support ${api.name}`,
    );
  }

  /** Encodes and writes one request; returns its correlation id. Throws if closed or the body cannot be encoded. */
  private write<D extends AnyApiDescriptor>(api: D, version: number, body: RequestInputOf<D>): number {
    if (this.closedError) throw this.closedError;
    const socket = this.socket!;
    const correlationId = this.nextId;
    this.nextId = this.nextId === 0x7fffffff ? 1 : this.nextId + 1;
    // Record batches (Produce) are referenced, not copied, and go out in one vectored write.
    const chunks = encodeRequestFrameChunks(api, version, correlationId, this.clientId, body);
    if (chunks.length === 1) socket.write(chunks[0]!);
    else {
      socket.cork();
      for (const c of chunks) socket.write(c);
      socket.uncork();
    }
    return correlationId;
  }

  private send<D extends AnyApiDescriptor, R>(api: D, version: number, body: RequestInputOf<D>, timeoutMs: number, decode: (frame: Buffer) => R): Promise<R> {
    let correlationId: number;
    try {
      correlationId = this.write(api, version, body);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<R>((resolve, reject) => {
      const p: Pending = { api, version, decode, resolve: resolve as (v: unknown) => void, reject, timer: undefined };
      if (timeoutMs > 0 && Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => {
          this.pending.delete(correlationId);
          reject(new TimeoutError(`${api.name} request to ${this.address} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      this.pending.set(correlationId, p);
    });
  }

  private onData(chunk: Buffer): void {
    if (!this.gotData) {
      this.gotData = true;
      // A TLS listener answers a plaintext request with a TLS alert record, which would read as a
      // frame of absurd size; say what it is instead.
      if (!usesTls(this.security.protocol) && looksLikeTls(chunk)) {
        this.fail(tlsListenerError(this.address, this.security));
        return;
      }
    }
    let frames: Buffer[];
    try {
      frames = this.splitter.push(chunk);
    } catch (e) {
      this.fail(new ConnectionError(`bad frame from ${this.address}: ${(e as Error).message}`, this.address));
      return;
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(frame: Buffer): void {
    if (frame.length < 4) {
      this.fail(new ConnectionError(`response from ${this.address} is too short`, this.address));
      return;
    }
    const correlationId = frame.readInt32BE(0);
    const p = this.pending.get(correlationId);
    if (!p) return; // timed out earlier; its late answer is dropped
    this.pending.delete(correlationId);
    if (p.timer) clearTimeout(p.timer);
    if (this.phase === 'ready') this.servedRequests++;
    try {
      p.resolve(p.decode(frame));
    } catch (e) {
      p.reject(new ConnectionError(`cannot decode ${p.api.name} v${p.version} response from ${this.address}: ${(e as Error).message}`, this.address, undefined, { cause: e }));
    }
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    clearTimeout(this.reauthTimer);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket?.destroy();
    for (const l of this.closeListeners) l(err);
  }

  /** Number of requests waiting for a response. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once everything written so far has been handed to the OS. */
  drained(): Promise<void> {
    const s = this.socket;
    if (!s || !s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        s.off('drain', done);
        s.off('close', done);
        resolve();
      };
      s.once('drain', done);
      s.once('close', done);
    });
  }

  close(): void {
    if (this.closedError) return;
    const err = new ConnectionError(`connection to ${this.address} was closed`, this.address);
    this.closedError = err;
    clearTimeout(this.reauthTimer);
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket?.end();
    this.socket?.destroy();
    for (const l of this.closeListeners) l(null);
  }
}

/**
 * KIP-511: an ApiVersions error reply comes in v0 format whatever version we sent (header v0, which
 * ApiVersions always has, then the error code first): read the error code, and on
 * UNSUPPORTED_VERSION decode the rest as v0.
 */
function decodeApiVersionsReply(version: number): (frame: Buffer) => ApiVersionsResponse {
  return (frame) => {
    const bodyStart = responseHeaderVersion(ApiVersionsApi, version) === 0 ? 4 : 5;
    const fallback = version > 0 && frame.length >= bodyStart + 2 && frame.readInt16BE(bodyStart) === ErrorCode.UNSUPPORTED_VERSION;
    return decodeResponseFrame(ApiVersionsApi, fallback ? 0 : version, frame).body;
  };
}
