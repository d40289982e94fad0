import { ProtocolError } from './errors.ts';
import { requestHeaderVersion } from './messages/index.ts';
import { Reader } from './primitives/reader.ts';
import { Writer } from './primitives/writer.ts';

/**
 * Request and response headers (guide §2). Hand-written rather than generated because every frame
 * passes through here and the rules are few:
 *   request  v0: api_key int16, api_version int16, correlation_id int32 (ControlledShutdown v0 only)
 *   request  v1: v0 + client_id (nullable string, int16 length)
 *   request  v2: v1 + tagged fields — client_id keeps its int16 length so any broker can read it
 *   response v0: correlation_id int32 (and every ApiVersions response)
 *   response v1: v0 + tagged fields
 * Tagged fields in headers carry nothing kstream uses; they are skipped on read and written empty.
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

/**
 * Reads a request header of the given header version (0, 1 or 2); without one, the version follows
 * from the api key and version at the start of the header (UnknownApiKeyError for an unknown key).
 */
export function decodeRequestHeader(r: Reader, headerVersion?: number): RequestHeader {
  if (headerVersion === undefined) {
    if (r.remaining() < 4) throw new ProtocolError(`request header needs 4 bytes for api key and version, ${r.remaining()} left`);
    headerVersion = requestHeaderVersion(r.buf.readInt16BE(r.pos), r.buf.readInt16BE(r.pos + 2));
  }
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  let clientId: string | null = null;
  if (headerVersion >= 1) clientId = r.nullableString();
  if (headerVersion >= 2) r.skipTaggedFields();
  return { apiKey, apiVersion, correlationId, clientId };
}

/** Reads just api key, version and correlation id without moving the reader (to pick the header version). */
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
