/**
 * Typed errors of the storage layer. Each carries the Kafka error code the broker answers with, so a
 * handler maps any storage failure to a response without knowing storage internals.
 */
export const StorageErrorCode = {
  OFFSET_OUT_OF_RANGE: 1,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  INVALID_TOPIC_EXCEPTION: 17,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_CONFIG: 40,
  KAFKA_STORAGE_ERROR: 56,
} as const;
export type StorageErrorCode = (typeof StorageErrorCode)[keyof typeof StorageErrorCode];

export class StorageError extends Error {
  override name = 'StorageError';
  readonly errorCode: number;
  constructor(errorCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.errorCode = errorCode;
  }
}

/** Fetch/ListOffsets asked for an offset outside [logStartOffset, logEndOffset]. */
export class OffsetOutOfRangeError extends StorageError {
  override name = 'OffsetOutOfRangeError';
  readonly offset: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  constructor(topicPartition: string, offset: number, logStartOffset: number, logEndOffset: number) {
    super(
      StorageErrorCode.OFFSET_OUT_OF_RANGE,
      `offset ${offset} is out of range for ${topicPartition} (log start ${logStartOffset}, log end ${logEndOffset})`,
    );
    this.offset = offset;
    this.logStartOffset = logStartOffset;
    this.logEndOffset = logEndOffset;
  }
}

export class UnknownTopicOrPartitionError extends StorageError {
  override name = 'UnknownTopicOrPartitionError';
  constructor(message: string) {
    super(StorageErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message);
  }
}

/** A batch larger than the topic's max.message.bytes. */
export class MessageTooLargeError extends StorageError {
  override name = 'MessageTooLargeError';
  constructor(message: string) {
    super(StorageErrorCode.MESSAGE_TOO_LARGE, message);
  }
}

export class InvalidTopicError extends StorageError {
  override name = 'InvalidTopicError';
  constructor(message: string) {
    super(StorageErrorCode.INVALID_TOPIC_EXCEPTION, message);
  }
}

export class TopicAlreadyExistsError extends StorageError {
  override name = 'TopicAlreadyExistsError';
  constructor(topic: string) {
    super(StorageErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${topic}' already exists.`);
  }
}

export class InvalidPartitionsError extends StorageError {
  override name = 'InvalidPartitionsError';
  constructor(message: string) {
    super(StorageErrorCode.INVALID_PARTITIONS, message);
  }
}

export class InvalidConfigError extends StorageError {
  override name = 'InvalidConfigError';
  constructor(message: string) {
    super(StorageErrorCode.INVALID_CONFIG, message);
  }
}

/** Idempotent producer rejected: 45 OUT_OF_ORDER_SEQUENCE_NUMBER or 47 INVALID_PRODUCER_EPOCH. */
export class ProducerSequenceError extends StorageError {
  override name = 'ProducerSequenceError';
  constructor(errorCode: 45 | 47, message: string) {
    super(errorCode, message);
  }
}

/**
 * The disk refused (ENOSPC, EACCES, EIO, …). Data acknowledged before the failure is untouched; the
 * failed append was truncated back where possible. Kafka answers KAFKA_STORAGE_ERROR (56).
 */
export class KafkaStorageError extends StorageError {
  override name = 'KafkaStorageError';
  /** The OS error code (ENOSPC, EACCES, EIO, …) when there was one. */
  readonly osCode: string | undefined;
  constructor(message: string, cause?: unknown) {
    super(StorageErrorCode.KAFKA_STORAGE_ERROR, message, cause === undefined ? undefined : { cause });
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
