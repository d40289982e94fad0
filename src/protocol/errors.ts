/**
 * Typed errors of the protocol layer. Everything that reads bytes from the network throws one of
 * these (never a RangeError from Buffer or a hang), so the broker can log the reason and close the
 * connection, and the client can report what the peer sent.
 */

/** Malformed bytes or a value that cannot be encoded: read past the end, negative length, bad varint, … */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** A frame's length prefix is larger than the configured maximum. */
export class FrameTooLargeError extends ProtocolError {
  override name = 'FrameTooLargeError';
  readonly size: number;
  readonly maxSize: number;
  constructor(size: number, maxSize: number) {
    super(`frame of ${size} bytes exceeds the maximum of ${maxSize} bytes`);
    this.size = size;
    this.maxSize = maxSize;
  }
}

/** A frame's length prefix is negative. */
export class NegativeFrameSizeError extends ProtocolError {
  override name = 'NegativeFrameSizeError';
  readonly size: number;
  constructor(size: number) {
    super(`frame length ${size} is negative`);
    this.size = size;
  }
}

/** A request names an API key this codec does not know. */
export class UnknownApiKeyError extends ProtocolError {
  override name = 'UnknownApiKeyError';
  readonly apiKey: number;
  readonly correlationId: number | undefined;
  constructor(apiKey: number, correlationId?: number) {
    super(`unknown api key ${apiKey}`);
    this.apiKey = apiKey;
    this.correlationId = correlationId;
  }
}

/** A request names a version outside the API's valid range. */
export class UnsupportedVersionError extends ProtocolError {
  override name = 'UnsupportedVersionError';
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number | undefined;
  constructor(apiKey: number, apiVersion: number, message?: string, correlationId?: number) {
    super(message ?? `api key ${apiKey} has no version ${apiVersion}`);
    this.apiKey = apiKey;
    this.apiVersion = apiVersion;
    this.correlationId = correlationId;
  }
}
