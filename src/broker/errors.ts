import { RecordValidationError } from '../protocol/records/errors.ts';
import { StorageError } from '../storage/errors.ts';
import type { Logger } from './logger.ts';
import { ErrorCode } from '../protocol/error-codes.ts';

/** Kafka's all-zero Uuid in base64url: "no topic id". */
export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/**
 * Maps an error thrown by storage or record validation to its Kafka error code and message. Anything
 * else is a bug: it is logged with its stack and answered UNKNOWN_SERVER_ERROR.
 */
export function toErrorCode(err: unknown, logger: Logger, what: string): { errorCode: number; message: string } {
  if (err instanceof StorageError || err instanceof RecordValidationError) {
    return { errorCode: err.errorCode, message: err.message };
  }
  const code = (err as { errorCode?: unknown })?.errorCode;
  if (typeof code === 'number') return { errorCode: code, message: (err as Error).message };
  logger.error(`${what}: ${(err as Error)?.stack ?? String(err)}`);
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, message: `internal error: ${(err as Error)?.message ?? String(err)}` };
}
