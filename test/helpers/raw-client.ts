import { createConnection, type Socket } from 'node:net';
import { FrameSplitter } from '../../src/protocol/framing.ts';
import { decodeResponseFrame, encodeRequestFrame } from '../../src/protocol/headers.ts';
import { apis } from '../../src/protocol/messages/index.ts';

/** What names an API for `request()`: its facts (`MetadataFacts`) or its descriptor (`MetadataApi`). */
export interface ApiKeyed {
  readonly key: number;
}

/**
 * A minimal Kafka client over one socket for protocol-level tests: `request()` encodes with the
 * project's codecs and resolves with the decoded response body; `writeRaw()` sends arbitrary bytes
 * (hostile-input tests); `frames` collects every response frame in arrival order; `closed` resolves
 * when the broker drops the connection.
 */
export class RawClient {
  readonly socket: Socket;
  /** Every response frame (without length prefix) in arrival order. */
  readonly frames: Buffer[] = [];
  readonly closed: Promise<void>;
  private readonly splitter = new FrameSplitter(1 << 30);
  private readonly pending = new Map<number, { apiKey: number; apiVersion: number; resolve: (b: any) => void; reject: (e: Error) => void }>();
  private nextCorrelationId = 1;
  private isClosed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    this.closed = new Promise((res) => socket.once('close', () => res()));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.splitter.push(chunk)) {
        this.frames.push(frame);
        const id = frame.readInt32BE(0);
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        try {
          p.resolve(decodeResponseFrame(apis[p.apiKey]!, p.apiVersion, frame).body);
        } catch (err) {
          p.reject(err as Error);
        }
      }
    });
    socket.once('close', () => {
      this.isClosed = true;
      for (const p of this.pending.values()) p.reject(new Error('connection closed by the broker'));
      this.pending.clear();
    });
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((res, rej) => {
      const s = createConnection({ port, host }, () => {
        s.off('error', rej);
        res(new RawClient(s));
      });
      s.once('error', rej);
    });
  }

  /**
   * Sends one request; resolves with the decoded response (or undefined at once when `noResponse`).
   * `api` is the API's facts or descriptor (`MetadataFacts`, `MetadataApi`) so a call names what it
   * sends; a bare key number is for tests that walk every key (`apis`) rather than name one.
   */
  request<T = any>(api: number | ApiKeyed, apiVersion: number, body: unknown, opts: { noResponse?: boolean; clientId?: string } = {}): Promise<T> {
    const apiKey = typeof api === 'number' ? api : api.key;
    const correlationId = this.nextCorrelationId++;
    const frame = encodeRequestFrame(apis[apiKey]!, apiVersion, correlationId, opts.clientId ?? 'kstream-test', body);
    if (opts.noResponse) {
      this.socket.write(frame);
      return Promise.resolve(undefined as T);
    }
    return new Promise<T>((resolve, reject) => {
      if (this.isClosed) return reject(new Error('connection closed by the broker'));
      this.pending.set(correlationId, { apiKey, apiVersion, resolve, reject });
      this.socket.write(frame);
    });
  }

  /** Correlation id the next request() will use. */
  get peekCorrelationId(): number {
    return this.nextCorrelationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}
