import { ProtocolError } from '../protocol/errors.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import { decodeRequest, encodeResponseFrame, encodeResponseFrameChunks } from '../protocol/headers.ts';
import { ApiVersionsApi } from '../protocol/messages/api-versions.ts';
import { CloseConnection, type Connection, type RequestProcessor, type Response } from './connection.ts';
import type { ApiHandler, BrokerContext, RequestContext } from './handler.ts';
import { isLoaded, type ServedApi } from './handler-table.ts';
import { finishRequestQuota, handlerReturned, startRequestQuota } from './quotas/dispatch-quota.ts';

/**
 * Routes request frames to handlers: api key/version → handler, decode with the codec of the
 * descriptor the handler serves, call, encode the response at the request's version (headers.ts picks
 * the header versions from the same descriptor). What cannot be answered in a form the client could
 * parse (unknown key, version outside the handler's range, malformed bytes) closes the connection with
 * the reason logged, as Kafka does — except ApiVersions above our maximum, which gets the v0-format
 * UNSUPPORTED_VERSION reply of KIP-511 so the client can retry lower.
 *
 * Key and version are checked against the table entry, so a lazy entry (handler-table.ts) is imported
 * only for a request it will serve; that first request waits for the import, later ones do not.
 */
export function createDispatcher(broker: BrokerContext): RequestProcessor {
  const byKey = new Map<number, ServedApi>();
  for (const h of broker.handlers) {
    if (byKey.has(h.api.key)) throw new Error(`two handlers for ${h.api.name} (api key ${h.api.key})`);
    if (h.minVersion < h.api.validVersions.min || h.maxVersion > h.api.maxCodecVersion) {
      throw new Error(`handler for ${h.api.name} serves v${h.minVersion}-${h.maxVersion}, outside the codec's v${h.api.validVersions.min}-${h.api.maxCodecVersion}`);
    }
    byKey.set(h.api.key, h);
  }
  /** Lazy entries once imported, so later requests are served without a promise in between. */
  const imported = new Map<number, ApiHandler>();

  return (frame: Buffer, conn: Connection) => {
    if (frame.length < 8) throw new CloseConnection(`request of ${frame.length} bytes is shorter than the 8-byte header start`);
    const apiKey = frame.readInt16BE(0);
    const apiVersion = frame.readInt16BE(2);
    const correlationId = frame.readInt32BE(4);
    const entry = byKey.get(apiKey);
    if (entry === undefined) throw new CloseConnection(`unsupported api key ${apiKey} (correlation id ${correlationId})`);
    if (apiVersion < entry.minVersion || apiVersion > entry.maxVersion) {
      if (apiKey === ApiVersionsApi.key && apiVersion > entry.maxVersion) {
        return apiVersionsFallback(correlationId, entry.maxVersion);
      }
      throw new CloseConnection(
        `unsupported version ${apiVersion} of api key ${apiKey} (${entry.api.name}, served: ${entry.minVersion}-${entry.maxVersion}, correlation id ${correlationId})`,
      );
    }
    if (isLoaded(entry)) return serve(broker, entry, frame, conn, apiVersion, correlationId);
    const handler = imported.get(apiKey);
    if (handler) return serve(broker, handler, frame, conn, apiVersion, correlationId);
    return entry.load().then(
      (h) => {
        imported.set(apiKey, h);
        return serve(broker, h, frame, conn, apiVersion, correlationId);
      },
      (err: unknown) => {
        broker.logger.error(`loading the handler of ${entry.api.name}: ${(err as Error)?.stack ?? String(err)}`);
        throw new CloseConnection(`handler for ${entry.api.name} could not be loaded: ${(err as Error)?.message}`);
      },
    );
  };
}

/** Decodes one request for `handler`, runs it and encodes its response (or error response). */
function serve(broker: BrokerContext, handler: ApiHandler, frame: Buffer, conn: Connection, apiVersion: number, correlationId: number): Promise<Response> | Response {
  const { api } = handler;
  const apiKey = api.key;
  let clientId: string | null;
  let body: unknown;
  try {
    // Trailing bytes after the body are ignored, as Kafka does for requests.
    ({ header: { clientId }, body } = decodeRequest(api, frame));
  } catch (err) {
    if (err instanceof ProtocolError) {
      throw new CloseConnection(`malformed request (${api.name} v${apiVersion}, correlation id ${correlationId}): ${err.message}`);
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
    quota: startRequestQuota(broker, conn, apiKey, clientId, frame.length),
  };
  const runSent = () => {
    for (const cb of sentCallbacks.splice(0)) {
      try {
        cb();
      } catch (err) {
        broker.logger.error(`after-response callback of ${api.name}: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
  };
  const encode = (res: unknown): Response => {
    try {
      // Client quotas (KIP-219): throttle_time_ms goes into this response; the connection is muted after it.
      finishRequestQuota(ctx.quota, res);
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
    // Zero copy is the handler's call (Fetch: record data read from segment files goes out as
    // pieces, not copied into one buffer).
    return handler.zeroCopyResponse
      ? encodeResponseFrameChunks(api, apiVersion, correlationId, res)
      : encodeResponseFrame(api, apiVersion, correlationId, res);
  };
  const onError = (err: unknown): Response => {
    if (err instanceof CloseConnection) {
      runSent();
      throw err;
    }
    broker.logger.error(
      `${api.name} v${apiVersion} from ${conn.describe()} (client ${ctx.clientId ?? '-'}) failed: ${(err as Error)?.stack ?? String(err)}`,
    );
    if (!handler.errorResponse) {
      runSent();
      throw new CloseConnection(`handler for ${api.name} failed: ${(err as Error)?.message}`);
    }
    return encode(handler.errorResponse(body, ErrorCode.UNKNOWN_SERVER_ERROR, ctx));
  };

  let result: unknown;
  try {
    result = handler.handle(body, ctx);
    handlerReturned(ctx.quota, apiKey);
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
}

/**
 * KIP-511: an ApiVersions request above our maximum gets a v0-format reply — header v0,
 * UNSUPPORTED_VERSION, an int32-counted array with the one entry (ApiVersions, 0, max) — so any client
 * version can read it. Encoded with the generated codec at v0.
 */
export function apiVersionsFallback(correlationId: number, maxVersion: number): Buffer {
  return encodeResponseFrame(ApiVersionsApi, 0, correlationId, {
    errorCode: ErrorCode.UNSUPPORTED_VERSION,
    apiKeys: [{ apiKey: ApiVersionsApi.key, minVersion: 0, maxVersion }],
  });
}
