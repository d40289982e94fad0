/**
 * Errors the client raises. KafkaError carries a broker error code with Kafka's name for it, so a
 * message reads "UNKNOWN_TOPIC_OR_PARTITION: …" like the Java client's; ConnectionError says which
 * address failed and what to do about it.
 */

const NAMES: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR', 1: 'OFFSET_OUT_OF_RANGE', 2: 'CORRUPT_MESSAGE', 3: 'UNKNOWN_TOPIC_OR_PARTITION',
  4: 'INVALID_FETCH_SIZE', 5: 'LEADER_NOT_AVAILABLE', 6: 'NOT_LEADER_OR_FOLLOWER', 7: 'REQUEST_TIMED_OUT',
  8: 'BROKER_NOT_AVAILABLE', 9: 'REPLICA_NOT_AVAILABLE', 10: 'MESSAGE_TOO_LARGE', 11: 'STALE_CONTROLLER_EPOCH',
  12: 'OFFSET_METADATA_TOO_LARGE', 13: 'NETWORK_EXCEPTION', 14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE', 16: 'NOT_COORDINATOR', 17: 'INVALID_TOPIC_EXCEPTION', 18: 'RECORD_LIST_TOO_LARGE',
  19: 'NOT_ENOUGH_REPLICAS', 20: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 21: 'INVALID_REQUIRED_ACKS', 22: 'ILLEGAL_GENERATION',
  23: 'INCONSISTENT_GROUP_PROTOCOL', 24: 'INVALID_GROUP_ID', 25: 'UNKNOWN_MEMBER_ID', 26: 'INVALID_SESSION_TIMEOUT',
  27: 'REBALANCE_IN_PROGRESS', 28: 'INVALID_COMMIT_OFFSET_SIZE', 29: 'TOPIC_AUTHORIZATION_FAILED',
  30: 'GROUP_AUTHORIZATION_FAILED', 31: 'CLUSTER_AUTHORIZATION_FAILED', 32: 'INVALID_TIMESTAMP',
  33: 'UNSUPPORTED_SASL_MECHANISM', 34: 'ILLEGAL_SASL_STATE', 35: 'UNSUPPORTED_VERSION', 36: 'TOPIC_ALREADY_EXISTS',
  37: 'INVALID_PARTITIONS', 38: 'INVALID_REPLICATION_FACTOR', 39: 'INVALID_REPLICA_ASSIGNMENT', 40: 'INVALID_CONFIG',
  41: 'NOT_CONTROLLER', 42: 'INVALID_REQUEST', 43: 'UNSUPPORTED_FOR_MESSAGE_FORMAT', 44: 'POLICY_VIOLATION',
  45: 'OUT_OF_ORDER_SEQUENCE_NUMBER', 46: 'DUPLICATE_SEQUENCE_NUMBER', 47: 'INVALID_PRODUCER_EPOCH',
  48: 'INVALID_TXN_STATE', 49: 'INVALID_PRODUCER_ID_MAPPING', 50: 'INVALID_TRANSACTION_TIMEOUT',
  51: 'CONCURRENT_TRANSACTIONS', 53: 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED', 56: 'KAFKA_STORAGE_ERROR',
  58: 'SASL_AUTHENTICATION_FAILED', 59: 'UNKNOWN_PRODUCER_ID', 60: 'REASSIGNMENT_IN_PROGRESS',
  68: 'NON_EMPTY_GROUP', 69: 'GROUP_ID_NOT_FOUND', 70: 'FETCH_SESSION_ID_NOT_FOUND',
  71: 'INVALID_FETCH_SESSION_EPOCH', 72: 'LISTENER_NOT_FOUND', 73: 'TOPIC_DELETION_DISABLED', 74: 'FENCED_LEADER_EPOCH',
  75: 'UNKNOWN_LEADER_EPOCH', 76: 'UNSUPPORTED_COMPRESSION_TYPE', 77: 'STALE_BROKER_EPOCH', 78: 'OFFSET_NOT_AVAILABLE',
  79: 'MEMBER_ID_REQUIRED', 80: 'PREFERRED_LEADER_NOT_AVAILABLE', 81: 'GROUP_MAX_SIZE_REACHED',
  82: 'FENCED_INSTANCE_ID', 83: 'ELIGIBLE_LEADERS_NOT_AVAILABLE', 84: 'ELECTION_NOT_NEEDED',
  85: 'NO_REASSIGNMENT_IN_PROGRESS', 86: 'GROUP_SUBSCRIBED_TO_TOPIC', 87: 'INVALID_RECORD',
  88: 'UNSTABLE_OFFSET_COMMIT', 89: 'THROTTLING_QUOTA_EXCEEDED', 90: 'PRODUCER_FENCED', 100: 'UNKNOWN_TOPIC_ID',
  103: 'INCONSISTENT_TOPIC_ID',
};

/** Codes after which the same request may succeed when retried (after a metadata refresh / backoff). */
const RETRIABLE = new Set([2, 3, 5, 6, 7, 8, 9, 13, 14, 15, 16, 19, 20, 56, 74, 75, 78, 89]);
/** Codes that mean "our view of who leads what is stale". */
const REFRESH_METADATA = new Set([3, 5, 6, 74, 75, 100, 103]);
/** Codes that mean "find the group coordinator again". */
const REFRESH_COORDINATOR = new Set([14, 15, 16]);

export const errorName = (code: number): string => NAMES[code] ?? `ERROR_${code}`;
export const isRetriable = (code: number): boolean => RETRIABLE.has(code);
export const needsMetadataRefresh = (code: number): boolean => REFRESH_METADATA.has(code);
export const needsCoordinatorRefresh = (code: number): boolean => REFRESH_COORDINATOR.has(code);

export class KafkaError extends Error {
  override name = 'KafkaError';
  readonly code: number;
  readonly retriable: boolean;
  constructor(code: number, context: string, serverMessage?: string | null) {
    super(`${context}: ${errorName(code)}${serverMessage ? ` (${serverMessage})` : ''}`);
    this.code = code;
    this.retriable = isRetriable(code);
  }
}

/** Throws a KafkaError unless code is 0. */
export function check(code: number, context: string, serverMessage?: string | null): void {
  if (code !== 0) throw new KafkaError(code, context, serverMessage);
}

export class ConnectionError extends Error {
  override name = 'ConnectionError';
  readonly address: string;
  readonly code: string | undefined;
  constructor(message: string, address: string, code?: string, options?: ErrorOptions) {
    super(message, options);
    this.address = address;
    this.code = code;
  }
}

export class TimeoutError extends Error {
  override name = 'TimeoutError';
}

/** A broker does not serve any version of an API we speak. */
export class UnsupportedApiError extends Error {
  override name = 'UnsupportedApiError';
}

/** Turns a socket error into the one line a user needs. */
export function connectError(address: string, err: NodeJS.ErrnoException): ConnectionError {
  switch (err.code) {
    case 'ECONNREFUSED':
      return new ConnectionError(
        `could not connect to ${address} — is a broker running? start one with \`kstream serve\``,
        address,
        err.code,
        { cause: err },
      );
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(`could not resolve the broker host in ${address} (${err.code})`, address, err.code, { cause: err });
    case 'ETIMEDOUT':
      return new ConnectionError(`timed out connecting to ${address}`, address, err.code, { cause: err });
    default:
      return new ConnectionError(`connection to ${address} failed: ${err.message}`, address, err.code, { cause: err });
  }
}
