import { RecordValidationError } from '../protocol/records/errors.ts';
import { StorageError } from '../storage/errors.ts';
import type { Logger } from './logger.ts';

/** The Kafka error codes the broker's handlers answer with (names as in Kafka's Errors enum). */
export const Err = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  LEADER_NOT_AVAILABLE: 5,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  KAFKA_STORAGE_ERROR: 56,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  TOPIC_DELETION_DISABLED: 73,
  FENCED_LEADER_EPOCH: 74,
  UNKNOWN_LEADER_EPOCH: 75,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  INVALID_RECORD: 87,
  UNKNOWN_TOPIC_ID: 100,
} as const;

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
  return { errorCode: Err.UNKNOWN_SERVER_ERROR, message: `internal error: ${(err as Error)?.message ?? String(err)}` };
}
