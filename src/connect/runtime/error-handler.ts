import { DataException } from '../data/schema.ts';

/**
 * Kafka's error handling for connectors (RetryWithToleranceOperator + reporters): `errors.tolerance`
 * none|all, `errors.log.enable` / `errors.log.include.messages`, and for sinks the dead-letter queue
 * (`errors.deadletterqueue.topic.name`, `…context.headers.enable`) with Kafka's `__connect.errors.*`
 * headers. Converter and transformation failures, and records a sink task reports through the errant
 * record reporter (KIP-610), are tolerated, as in Kafka; a task's own
 * put/poll failure fails the task.
 */

export type Stage = 'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'HEADER_CONVERTER' | 'TRANSFORMATION' | 'TASK_PUT' | 'TASK_POLL';

export interface ErrorSettings {
  tolerateAll: boolean;
  log: boolean;
  logMessages: boolean;
  dlqTopic: string | null;
  dlqContextHeaders: boolean;
  dlqReplicationFactor: number;
}

export function errorSettings(config: Readonly<Record<string, string>>): ErrorSettings {
  const tol = (config['errors.tolerance'] ?? 'none').toLowerCase();
  if (tol !== 'none' && tol !== 'all') throw new Error(`Invalid value ${config['errors.tolerance']} for configuration errors.tolerance: String must be one of: none, all`);
  const dlq = (config['errors.deadletterqueue.topic.name'] ?? '').trim();
  return {
    tolerateAll: tol === 'all',
    log: (config['errors.log.enable'] ?? 'false').toLowerCase() === 'true',
    logMessages: (config['errors.log.include.messages'] ?? 'false').toLowerCase() === 'true',
    dlqTopic: dlq === '' ? null : dlq,
    dlqContextHeaders: (config['errors.deadletterqueue.context.headers.enable'] ?? 'false').toLowerCase() === 'true',
    dlqReplicationFactor: Number(config['errors.deadletterqueue.topic.replication.factor'] ?? '3'),
  };
}

/** The Java exception class Kafka would name for our error (for the exception.class.name header). */
export function javaExceptionClass(e: Error): string {
  const cause = (e.cause as Error | undefined) ?? e;
  if (cause instanceof DataException || e instanceof DataException) return 'org.apache.kafka.connect.errors.DataException';
  if (cause.name === 'ConfigException') return 'org.apache.kafka.common.config.ConfigException';
  return 'org.apache.kafka.connect.errors.ConnectException';
}

export interface FailedRecordContext {
  topic: string;
  partition: number;
  offset: number;
  connector: string;
  taskId: number;
  stage: Stage;
  /** The class executing the stage (converter or transformation class name). */
  className: string;
  error: Error;
}

/** DeadLetterQueueReporter's headers: every value is the UTF-8 text of the field. */
export function dlqHeaders(c: FailedRecordContext): Array<{ key: string; value: Buffer }> {
  const h = (key: string, v: string) => ({ key, value: Buffer.from(v) });
  const cause = (c.error.cause as Error | undefined) ?? c.error;
  return [
    h('__connect.errors.topic', c.topic),
    h('__connect.errors.partition', String(c.partition)),
    h('__connect.errors.offset', String(c.offset)),
    h('__connect.errors.connector.name', c.connector),
    h('__connect.errors.task.id', String(c.taskId)),
    h('__connect.errors.stage', c.stage),
    h('__connect.errors.class.name', c.className),
    h('__connect.errors.exception.class.name', javaExceptionClass(c.error)),
    h('__connect.errors.exception.message', cause.message),
    h('__connect.errors.exception.stacktrace', cause.stack ?? cause.message),
  ];
}

/** The LogReporter line. */
export function errorLogLine(c: FailedRecordContext, settings: ErrorSettings, record?: { key: Buffer | null; value: Buffer | null }): string {
  let line = `Error encountered in task ${c.connector}-${c.taskId}. Executing stage '${c.stage}' with class '${c.className}', where consumed record is {topic='${c.topic}', partition=${c.partition}, offset=${c.offset}}.`;
  if (settings.logMessages && record) line += ` key=${record.key?.toString('utf8') ?? 'null'} value=${record.value?.toString('utf8') ?? 'null'}`;
  return `${line} ${javaExceptionClass(c.error)}: ${c.error.message}`;
}

/** Thrown when errors.tolerance=none and a record failed: fails the task. */
export class ToleranceExceededError extends Error {
  override name = 'ConnectException';
  constructor(cause: Error) {
    super(`Tolerance exceeded in error handler: ${cause.message}`, { cause });
  }
}
