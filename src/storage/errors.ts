import { withErrorCode } from '../protocol/coded-error.ts';
import { ErrorCode } from '../protocol/error-codes.ts';
import type { SequenceErrorCode } from './producer-state.ts';

/**
 * Typed errors of the storage layer. Each carries the Kafka error code the broker answers with, so a
 * handler maps any storage failure to a response without knowing storage internals.
 */
export class StorageError extends withErrorCode(Error) {
  override name = 'StorageError';
}

/** The base of a StorageError that always answers `errorCode` and is made from a message alone. */
function answering(errorCode: number) {
  return class extends StorageError {
    constructor(message: string) {
      super(errorCode, message);
    }
  };
}

/** Fetch/ListOffsets asked for an offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(topicPartition: string, offset: number, logStartOffset: number, logEndOffset: number) {
    super(
      ErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is out of range for ${topicPartition} (log start ${logStartOffset}, log end ${logEndOffset})`,
    );
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

export class UnknownTopicOrPartitionError extends answering(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
  override name = 'UnknownTopicOrPartitionError';
}

/** A batch larger than the topic's max.message.bytes. */
export class MessageTooLargeError extends answering(ErrorCode.MESSAGE_TOO_LARGE) {
  override name = 'MessageTooLargeError';
}

export class InvalidTopicError extends answering(ErrorCode.INVALID_TOPIC_EXCEPTION) {
  override name = 'InvalidTopicError';
}

export class TopicAlreadyExistsError extends answering(ErrorCode.TOPIC_ALREADY_EXISTS) {
  override name = 'TopicAlreadyExistsError';
  constructor(topic: string) {
    super(`Topic '${topic}' already exists.`);
  }
}

export class InvalidPartitionsError extends answering(ErrorCode.INVALID_PARTITIONS) {
  override name = 'InvalidPartitionsError';
}

export class InvalidConfigError extends answering(ErrorCode.INVALID_CONFIG) {
  override name = 'InvalidConfigError';
}

/** Idempotent producer rejected: OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_PRODUCER_EPOCH. */
export class ProducerSequenceError extends StorageError {
  override name = 'ProducerSequenceError';
  constructor(errorCode: SequenceErrorCode, message: string) {
    super(errorCode, message);
  }
}

/**
 * The disk refused (ENOSPC, EACCES, EIO, …). Data acknowledged before the failure is untouched; the
 * failed append was truncated back where possible. Kafka answers KAFKA_STORAGE_ERROR.
 */
export class KafkaStorageError extends StorageError {
  override name = 'KafkaStorageError';
  /** The OS error code (ENOSPC, EACCES, EIO, …) when there was one. */
  readonly osCode: string | undefined;
  constructor(message: string, cause?: unknown) {
    super(ErrorCode.KAFKA_STORAGE_ERROR, message, cause === undefined ? undefined : { cause });
    this.osCode = (cause as NodeJS.ErrnoException | undefined)?.code;
  }
}

/** Wraps any I/O failure as a KafkaStorageError with a message naming what and where. */
export function storageFailure(what: string, path: string, cause: unknown): KafkaStorageError {
  if (cause instanceof KafkaStorageError) return cause;
  const e = cause as NodeJS.ErrnoException;
  const reason = e?.code ? `${e.code}: ${e.message}` : String((e as Error)?.message ?? cause);
  return new KafkaStorageError(`${what} failed for ${path} (${reason})`, cause);
}
