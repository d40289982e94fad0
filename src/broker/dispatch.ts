import { ProtocolError } from '../protocol/errors.ts';
import { Reader } from '../protocol/primitives/reader.ts';
import { Writer } from '../protocol/primitives/writer.ts';
import { SERVED_CODECS, type ServedCodec } from './codecs.ts';
import { CloseConnection, type Connection, type RequestProcessor, type Response } from './connection.ts';
import type { ApiHandler, BrokerContext, RequestContext } from './handler.ts';

const API_VERSIONS = 18;
const UNSUPPORTED_VERSION = 35;
const UNKNOWN_SERVER_ERROR = -1;
const FETCH = 1;

/**
 * Routes request frames to handlers: api key/version → handler, decode with the generated codec,
 * call, encode the response at the request's version. What cannot be answered in a form the client
 * could parse (unknown key, version outside the handler's range, malformed bytes) closes the
 * connection with the reason logged, as Kafka does — except ApiVersions above our maximum, which gets
 * the v0-format UNSUPPORTED_VERSION reply of KIP-511 so the client can retry lower.
 */
export function createDispatcher(broker: BrokerContext): RequestProcessor {
  const byKey = new Map<number, { handler: ApiHandler; codec: ServedCodec }>();
  for (const h of broker.handlers) {
    if (byKey.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
    const codec = SERVED_CODECS[h.apiKey];
    if (!codec) throw new Error(`no codec for api key ${h.apiKey}: add it to src/broker/codecs.ts`);
    byKey.set(h.apiKey, { handler: h, codec });
  }

  return (frame: Buffer, conn: Connection) => {
    if (frame.length < 8) throw new CloseConnection(`request of ${frame.length} bytes is shorter than the 8-byte header start`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const served = byKey.get(apiKey);
    if (served === undefined) throw new CloseConnection(`unsupported api key ${apiKey} (correlation id ${correlationId})`);
    const { handler, codec } = served;
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === API_VERSIONS && apiVersion > handler.maxVersion) {
        return apiVersionsFallback(correlationId, handler.maxVersion);
      }
      throw new CloseConnection(
        `unsupported version ${apiVersion} of api key ${apiKey} (served: ${handler.minVersion}-${handler.maxVersion}, correlation id ${correlationId})`,
      );
    }

    const flexible = apiVersion >= codec.flexibleMinVersion;
    let clientId: string | null;
    let body: unknown;
    try {
      // Request header v1 (v2 when flexible: + tagged fields); api key, version and correlation id
      // were read above. Read here rather than through protocol/headers.ts, which imports the whole
      // generated index. Trailing bytes after the body are ignored, as Kafka does for requests.
      const r = new Reader(frame, 8);
      clientId = r.nullableString();
      if (flexible) r.skipTaggedFields();
      body = codec.decodeRequest(r, apiVersion);
    } catch (err) {
      if (err instanceof ProtocolError) {
        throw new CloseConnection(`malformed request (api key ${apiKey} v${apiVersion}, correlation id ${correlationId}): ${err.message}`);
      }
      throw err;
    }

    const sentCallbacks: (() => void)[] = [];
    const ctx: RequestContext = {
      apiKey,
      apiVersion,
      correlationId,
      clientId,
      connection: conn,
      broker,
      onResponseSent: (cb) => void sentCallbacks.push(cb),
    };
    const runSent = () => {
      for (const cb of sentCallbacks.splice(0)) {
        try {
          cb();
        } catch (err) {
          broker.logger.error(`after-response callback of api key ${apiKey}: ${(err as Error)?.stack ?? String(err)}`);
        }
      }
    };
    const encode = (res: unknown): Response => {
      try {
        const frame = encodeFrame(res);
        if (sentCallbacks.length === 0) return frame;
        if (frame === null) {
          runSent();
          return null;
        }
        return { pieces: Array.isArray(frame) ? frame : [frame], onSent: runSent };
      } catch (err) {
        runSent();
        throw err;
      }
    };
    const encodeFrame = (res: unknown): Buffer | Buffer[] | null => {
      if (res === null) return null;
      // Fetch responses carry record data read from segment files: written as pieces, not copied.
      const w = apiKey === FETCH ? Writer.chunked() : new Writer();
      w.int32(0);
      // Response header: correlation id, + an empty tagged-field section when flexible — except
      // ApiVersions, whose responses always have header v0 (read before the version is known).
      w.int32(correlationId);
      if (flexible && apiKey !== API_VERSIONS) w.unsignedVarint(0);
      codec.encodeResponse(w, res, apiVersion);
      w.int32At(0, w.length - 4);
      return apiKey === FETCH ? w.finishChunks() : w.finish();
    };
    const onError = (err: unknown): Response => {
      if (err instanceof CloseConnection) {
        runSent();
        throw err;
      }
      broker.logger.error(
        `api key ${apiKey} v${apiVersion} from ${conn.describe()} (client ${ctx.clientId ?? '-'}) failed: ${(err as Error)?.stack ?? String(err)}`,
      );
      if (!handler.errorResponse) {
        runSent();
        throw new CloseConnection(`handler for api key ${apiKey} failed: ${(err as Error)?.message}`);
      }
      return encode(handler.errorResponse(body, UNKNOWN_SERVER_ERROR, ctx));
    };

    let result: unknown;
    try {
      result = handler.handle(body, ctx);
    } catch (err) {
      return onError(err);
    }
    if (result instanceof Promise) {
      return result.then(
        (res) => encode(res),
        (err) => onError(err),
      );
    }
    return encode(result);
  };
}

/**
 * KIP-511: an ApiVersions request above our maximum gets a v0-format reply — header v0, error 35,
 * an int32-counted array with the one entry (18, 0, max) — so any client version can read it.
 */
export function apiVersionsFallback(correlationId: number, maxVersion: number): Buffer {
  const out = Buffer.allocUnsafe(4 + 4 + 2 + 4 + 6);
  out.writeInt32BE(out.length - 4, 0);
  out.writeInt32BE(correlationId, 4);
  out.writeInt16BE(UNSUPPORTED_VERSION, 8);
  out.writeInt32BE(1, 10);
  out.writeInt16BE(API_VERSIONS, 14);
  out.writeInt16BE(0, 16);
  out.writeInt16BE(maxVersion, 18);
  return out;
}
