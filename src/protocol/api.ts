import { ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from './errors.ts';
import {
  decodeRequestHeader,
  decodeResponseHeader,
  encodeRequestHeader,
  encodeResponseHeader,
  peekRequestKey,
  type RequestHeader,
} from './headers.ts';
import { apis, requestHeaderVersion, responseHeaderVersion, type ApiCodec } from './messages/index.ts';
import { Reader } from './primitives/reader.ts';
import { Writer } from './primitives/writer.ts';

/**
 * Whole-frame helpers shared by the broker and the client: header + body in one call, with the header
 * version chosen from the API's flexible versions (guide §2). Frames given to the decoders have no
 * length prefix (what FrameSplitter yields); the encoders return length-prefixed bytes ready for the
 * socket (the prefix is patched in place, no extra copy), either in one buffer or, for messages that
 * carry record batches, as chunks that reference the batches instead of copying them.
 */

export interface DecodedRequest<T = any> {
  header: RequestHeader;
  body: T;
}

/** Codec of an API key, or UnknownApiKeyError. */
export function codecFor(apiKey: number, correlationId?: number): ApiCodec {
  const api = apis[apiKey];
  if (api === undefined) throw new UnknownApiKeyError(apiKey, correlationId);
  return api;
}

function checkVersion(api: ApiCodec, apiVersion: number, correlationId?: number): void {
  if (apiVersion < api.minVersion || apiVersion > api.maxCodecVersion) {
    throw new UnsupportedVersionError(
      api.apiKey,
      apiVersion,
      `${api.name} (api key ${api.apiKey}) has no version ${apiVersion} (valid: ${api.minVersion}-${api.maxCodecVersion})`,
      correlationId,
    );
  }
}

/**
 * Decodes a request frame (header + body, no length prefix). Unknown keys and versions throw
 * UnknownApiKeyError / UnsupportedVersionError carrying the correlation id, so the broker can log
 * and close (or answer ApiVersions in v0 format). Malformed bytes throw ProtocolError.
 * Trailing bytes after the body are ignored, as Kafka does for requests.
 */
export function decodeRequestFrame<T = any>(frame: Buffer): DecodedRequest<T> {
  const { apiKey, apiVersion, correlationId } = peekRequestKey(frame);
  const api = codecFor(apiKey, correlationId);
  checkVersion(api, apiVersion, correlationId);
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  const body = api.decodeRequest(r, apiVersion) as T;
  return { header, body };
}

function writeRequest(w: Writer, apiKey: number, apiVersion: number, correlationId: number, clientId: string | null, body: unknown): void {
  const api = codecFor(apiKey);
  checkVersion(api, apiVersion, correlationId);
  const start = w.length;
  w.int32(0);
  encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId }, requestHeaderVersion(apiKey, apiVersion));
  api.encodeRequest(w, body, apiVersion);
  w.int32At(start, w.length - start - 4);
}

function writeResponse(w: Writer, apiKey: number, apiVersion: number, correlationId: number, body: unknown): void {
  const api = codecFor(apiKey);
  checkVersion(api, apiVersion, correlationId);
  const start = w.length;
  w.int32(0);
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(apiKey, apiVersion));
  api.encodeResponse(w, body, apiVersion);
  w.int32At(start, w.length - start - 4);
}

/** Encodes a request (header + body) with its 4-byte length prefix, as one buffer. */
export function encodeRequestFrame(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
): Buffer {
  const w = new Writer();
  writeRequest(w, apiKey, apiVersion, correlationId, clientId, body);
  return w.finish();
}

/** Encodes a response (header + body) with its 4-byte length prefix, as one buffer. */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer {
  const w = new Writer();
  writeResponse(w, apiKey, apiVersion, correlationId, body);
  return w.finish();
}

/**
 * Like encodeRequestFrame, but byte fields of at least `zeroCopyThreshold` bytes (record batches)
 * are not copied: the frame comes back as buffers to write in order (socket.cork → write each →
 * uncork gives one vectored write). The referenced buffers must stay unchanged until written.
 */
export function encodeRequestFrameChunks(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  clientId: string | null,
  body: unknown,
  zeroCopyThreshold = 4096,
): Buffer[] {
  const w = Writer.chunked(zeroCopyThreshold);
  writeRequest(w, apiKey, apiVersion, correlationId, clientId, body);
  return w.finishChunks();
}

/** Response counterpart of encodeRequestFrameChunks (Fetch responses carrying log data). */
export function encodeResponseFrameChunks(
  apiKey: number,
  apiVersion: number,
  correlationId: number,
  body: unknown,
  zeroCopyThreshold = 4096,
): Buffer[] {
  const w = Writer.chunked(zeroCopyThreshold);
  writeResponse(w, apiKey, apiVersion, correlationId, body);
  return w.finishChunks();
}

export interface DecodedResponse<T = any> {
  correlationId: number;
  body: T;
}

/**
 * Decodes a response frame (no length prefix) for the API and version the request used. Strict:
 * bytes left over after the body are a ProtocolError, so a reply in an unexpected format (e.g. the
 * v0-format ApiVersions error reply read as v3) is detected rather than half-read.
 */
export function decodeResponseFrame<T = any>(apiKey: number, apiVersion: number, frame: Buffer): DecodedResponse<T> {
  const api = codecFor(apiKey);
  checkVersion(api, apiVersion);
  const r = new Reader(frame);
  const { correlationId } = decodeResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  const body = api.decodeResponse(r, apiVersion) as T;
  if (r.remaining() !== 0) {
    throw new ProtocolError(
      `${api.name} v${apiVersion} response (correlation id ${correlationId}) has ${r.remaining()} bytes after its body`,
    );
  }
  return { correlationId, body };
}

/** Correlation id of a response frame without decoding it (to match it to its request). */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new ProtocolError(`response of ${frame.length} bytes has no correlation id`);
  return frame.readInt32BE(0);
}
