import { withErrorCode } from '../coded-error.ts';
import { ErrorCode } from '../error-codes.ts';
import { ProtocolError } from '../errors.ts';

/**
 * The Kafka error codes (of error-codes.ts) a bad record batch maps to. The broker answers a Produce partition with the code;
 * the client reports it for a fetched batch it cannot read.
 */
export const RecordErrorCode = {
  /** CRC mismatch, batch length that does not fit, magic byte out of range. */
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  /** Decompressed records larger than the configured limit (a compression bomb, or just too big). */
  MESSAGE_TOO_LARGE: ErrorCode.MESSAGE_TOO_LARGE,
  /** Unknown codec id, or zstd where the request version does not allow it. */
  UNSUPPORTED_COMPRESSION_TYPE: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
  /** A record that does not parse, count/offset-delta mismatch, bytes left over, legacy magic in Produce v3+. */
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
} as const;
export type RecordErrorCode = (typeof RecordErrorCode)[keyof typeof RecordErrorCode];

/** Every failure to read or validate a record batch (or legacy message set) throws this. */
export class RecordValidationError extends withErrorCode<RecordErrorCode>(ProtocolError) {
  override name = 'RecordValidationError';
}

/** Decompressed output would exceed the limit; thrown before the memory is allocated where possible. */
export class DecompressedSizeLimitError extends RecordValidationError {
  override name = 'DecompressedSizeLimitError';
  readonly limit: number;
  constructor(codec: string, limit: number) {
    super(RecordErrorCode.MESSAGE_TOO_LARGE, `${codec} records decompress to more than the limit of ${limit} bytes`);
    this.limit = limit;
  }
}

export const corrupt = (message: string): RecordValidationError =>
  new RecordValidationError(RecordErrorCode.CORRUPT_MESSAGE, message);
export const invalidRecord = (message: string, cause?: unknown): RecordValidationError =>
  new RecordValidationError(RecordErrorCode.INVALID_RECORD, message, cause === undefined ? undefined : { cause });
