/**
 * Errors the client raises. KafkaError carries a broker error code with Kafka's name for it, so a
 * message reads "UNKNOWN_TOPIC_OR_PARTITION: …" like the Java client's; ConnectionError says which
 * address failed and what to do about it.
 */
import { ErrorCode, errorName, isRetriable } from '../protocol/error-codes.ts';

/** Codes that mean "our view of who leads what is stale": refresh metadata before retrying. */
const REFRESH_METADATA: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ErrorCode.LEADER_NOT_AVAILABLE,
  ErrorCode.NOT_LEADER_OR_FOLLOWER,
  ErrorCode.FENCED_LEADER_EPOCH,
  ErrorCode.UNKNOWN_LEADER_EPOCH,
  ErrorCode.UNKNOWN_TOPIC_ID,
  ErrorCode.INCONSISTENT_TOPIC_ID,
]);
/** Codes that mean "find the group coordinator again". */
const REFRESH_COORDINATOR: ReadonlySet<number> = new Set([
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NOT_COORDINATOR,
]);

// Names and retriability come from the one table (src/protocol/error-codes.ts).
export { errorName, isRetriable };
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
  if (code !== ErrorCode.NONE) throw new KafkaError(code, context, serverMessage);
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
