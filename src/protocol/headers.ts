import { hasVersion, isFlexible, type AnyApiDescriptor, type RequestInputOf, type RequestOf, type ResponseInputOf, type ResponseOf } from './api-descriptor.ts';
import { ProtocolError, UnknownApiKeyError, UnsupportedVersionError } from './errors.ts';
import { Reader } from './primitives/reader.ts';
import { Writer } from './primitives/writer.ts';

/**
 * The one header path (guide §2), shared by the broker's dispatch, the client and the tests: request
 * and response headers, and whole frames (header + body) for one API descriptor. Hand-written rather
 * than generated because every frame passes through here and the rules are few:
 *   request  v0: api_key int16, api_version int16, correlation_id int32 (ControlledShutdown v0 only)
 *   request  v1: v0 + client_id (nullable string, int16 length)
 *   request  v2: v1 + tagged fields — client_id keeps its int16 length so any broker can read it
 *   response v0: correlation_id int32 (and every ApiVersions response)
 *   response v1: v0 + tagged fields
 * Which version applies comes from the descriptor (its flexible versions and the two quirks), so this
 * module imports no API module: the broker and the CLI load only the codecs they use.
 * Tagged fields in headers carry nothing kstream uses; they are skipped on read and written empty.
 *
 * Frames given to the decoders have no length prefix (what FrameSplitter yields); the encoders return
 * length-prefixed bytes ready for the socket, in one buffer or, with `chunks`, as pieces that reference
 * large byte fields (record batches) instead of copying them.
 */
export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

export interface ResponseHeader {
  correlationId: number;
}

/** Request header version for a version of the API: 2 when flexible, 1 otherwise, 0 for ControlledShutdown v0. */
export function requestHeaderVersion(api: AnyApiDescriptor, version: number): 0 | 1 | 2 {
  const v0 = api.requestHeaderV0Versions;
  if (v0 !== undefined && version >= v0.min && version <= v0.max) return 0;
  return isFlexible(api, version) ? 2 : 1;
}

/** Response header version: 1 when flexible, 0 otherwise, and always 0 for ApiVersions. */
export function responseHeaderVersion(api: AnyApiDescriptor, version: number): 0 | 1 {
  if (api.responseHeaderAlwaysV0 === true) return 0;
  return isFlexible(api, version) ? 1 : 0;
}

/** Reads a request header of the given header version (0, 1 or 2). */
export function decodeRequestHeader(r: Reader, headerVersion: number): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  let clientId: string | null = null;
  if (headerVersion >= 1) clientId = r.nullableString();
  if (headerVersion >= 2) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Reads just api key, version and correlation id without decoding further (to pick the API and its header version). */
export function peekRequestKey(buf: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (buf.length < 8) throw new ProtocolError(`request of ${buf.length} bytes is shorter than the 8-byte header start`);
  return { apiKey: buf.readInt16BE(0), apiVersion: buf.readInt16BE(2), correlationId: buf.readInt32BE(4) };
}

export function encodeRequestHeader(w: Writer, header: RequestHeader, headerVersion: number): void {
  w.int16(header.apiKey);
  w.int16(header.apiVersion);
  w.int32(header.correlationId);
  if (headerVersion >= 1) w.nullableString(header.clientId);
  if (headerVersion >= 2) w.unsignedVarint(0);
}

export function decodeResponseHeader(r: Reader, headerVersion: number): ResponseHeader {
  const correlationId = r.int32();
  if (headerVersion >= 1) r.skipTaggedFields();
  return { correlationId };
}

export function encodeResponseHeader(w: Writer, header: ResponseHeader, headerVersion: number): void {
  w.int32(header.correlationId);
  if (headerVersion >= 1) w.unsignedVarint(0);
}

// ---------------------------------------------------------------------------------------------
// Whole frames

export interface DecodedRequest<Req> {
  header: RequestHeader;
  body: Req;
}

export interface DecodedResponse<Res> {
  correlationId: number;
  body: Res;
}

/** Chunked output: byte fields of at least `zeroCopyThreshold` bytes are referenced, not copied. */
export interface ChunkOptions {
  zeroCopyThreshold?: number;
}

function checkVersion(api: AnyApiDescriptor, version: number, correlationId?: number): void {
  if (!hasVersion(api, version)) {
    throw new UnsupportedVersionError(
      api.key,
      version,
      `${api.name} (api key ${api.key}) has no version ${version} (valid: ${api.validVersions.min}-${api.maxCodecVersion})`,
      correlationId,
    );
  }
}

/**
 * Decodes a request frame (header + body, no length prefix) of a known API, e.g. the one a broker
 * handler serves. The version is checked against the codec (UnsupportedVersionError); malformed bytes
 * throw ProtocolError. Trailing bytes after the body are ignored, as Kafka does for requests.
 */
export function decodeRequest<D extends AnyApiDescriptor>(api: D, frame: Buffer): DecodedRequest<RequestOf<D>> {
  const { apiKey, apiVersion, correlationId } = peekRequestKey(frame);
  if (apiKey !== api.key) throw new ProtocolError(`request for api key ${apiKey} decoded as ${api.name} (${api.key})`);
  checkVersion(api, apiVersion, correlationId);
  const r = new Reader(frame);
  const header = decodeRequestHeader(r, requestHeaderVersion(api, apiVersion));
  const body = api.decodeRequest(r, apiVersion) as RequestOf<D>;
  return { header, body };
}

/**
 * Decodes a request frame of any API, looked up by its key (e.g. `(k) => apis[k]` from the generated
 * index). Unknown keys throw UnknownApiKeyError carrying the correlation id.
 */
export function decodeRequestFrame(frame: Buffer, lookup: (apiKey: number) => AnyApiDescriptor | undefined): DecodedRequest<unknown> {
  const { apiKey, correlationId } = peekRequestKey(frame);
  const api = lookup(apiKey);
  if (api === undefined) throw new UnknownApiKeyError(apiKey, correlationId);
  return decodeRequest(api, frame);
}

function writeRequest<D extends AnyApiDescriptor>(w: Writer, api: D, version: number, correlationId: number, clientId: string | null, body: RequestInputOf<D>): void {
  checkVersion(api, version, correlationId);
  const start = w.length;
  w.int32(0);
  encodeRequestHeader(w, { apiKey: api.key, apiVersion: version, correlationId, clientId }, requestHeaderVersion(api, version));
  api.encodeRequest(w, body, version);
  w.int32At(start, w.length - start - 4);
}

function writeResponse<D extends AnyApiDescriptor>(w: Writer, api: D, version: number, correlationId: number, body: ResponseInputOf<D>): void {
  checkVersion(api, version, correlationId);
  const start = w.length;
  w.int32(0);
  encodeResponseHeader(w, { correlationId }, responseHeaderVersion(api, version));
  api.encodeResponse(w, body, version);
  w.int32At(start, w.length - start - 4);
}

/** Encodes a request (header + body) with its 4-byte length prefix, as one buffer. */
export function encodeRequestFrame<D extends AnyApiDescriptor>(
  api: D,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInputOf<D>,
): Buffer {
  const w = new Writer();
  writeRequest(w, api, version, correlationId, clientId, body);
  return w.finish();
}

/**
 * Like encodeRequestFrame, but large byte fields (record batches) are not copied: the frame comes back
 * as buffers to write in order (socket.cork → write each → uncork gives one vectored write). The
 * referenced buffers must stay unchanged until written.
 */
export function encodeRequestFrameChunks<D extends AnyApiDescriptor>(
  api: D,
  version: number,
  correlationId: number,
  clientId: string | null,
  body: RequestInputOf<D>,
  opts: ChunkOptions = {},
): Buffer[] {
  const w = Writer.chunked(opts.zeroCopyThreshold ?? 4096);
  writeRequest(w, api, version, correlationId, clientId, body);
  return w.finishChunks();
}

/** Encodes a response (header + body) with its 4-byte length prefix, as one buffer. */
export function encodeResponseFrame<D extends AnyApiDescriptor>(api: D, version: number, correlationId: number, body: ResponseInputOf<D>): Buffer {
  const w = new Writer();
  writeResponse(w, api, version, correlationId, body);
  return w.finish();
}

/** Response counterpart of encodeRequestFrameChunks (Fetch responses carrying log data). */
export function encodeResponseFrameChunks<D extends AnyApiDescriptor>(
  api: D,
  version: number,
  correlationId: number,
  body: ResponseInputOf<D>,
  opts: ChunkOptions = {},
): Buffer[] {
  const w = Writer.chunked(opts.zeroCopyThreshold ?? 4096);
  writeResponse(w, api, version, correlationId, body);
  return w.finishChunks();
}

/**
 * Decodes a response frame (no length prefix) for the API and version the request used. Strict:
 * bytes left over after the body are a ProtocolError, so a reply in an unexpected format (e.g. the
 * v0-format ApiVersions error reply read as v3) is detected rather than half-read.
 */
export function decodeResponseFrame<D extends AnyApiDescriptor>(api: D, version: number, frame: Buffer): DecodedResponse<ResponseOf<D>> {
  checkVersion(api, version);
  const r = new Reader(frame);
  const { correlationId } = decodeResponseHeader(r, responseHeaderVersion(api, version));
  const body = api.decodeResponse(r, version) as ResponseOf<D>;
  if (r.remaining() !== 0) {
    throw new ProtocolError(`${api.name} v${version} response (correlation id ${correlationId}) has ${r.remaining()} bytes after its body`);
  }
  return { correlationId, body };
}

/** Correlation id of a response frame without decoding it (to match it to its request). */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new ProtocolError(`response of ${frame.length} bytes has no correlation id`);
  return frame.readInt32BE(0);
}
