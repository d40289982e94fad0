import { InvalidPartitionsError, InvalidTopicError, TopicAlreadyExistsError } from './errors.ts';
import { collisionKey, validateTopicName } from './topic-name.ts';

/**
 * Ceiling on one topic's partition count (CreateTopics, CreatePartitions, auto-create). Without it a
 * single request asking for 2^31-1 partitions persisted that count in topics.json and then tried to
 * create them all, hanging the broker and every later start on that data dir.
 */
export const MAX_PARTITIONS_PER_TOPIC = 100_000;

/**
 * CreateTopics' checks of a new topic against the topics there are, with Kafka's errors and messages:
 * the name (INVALID_TOPIC_EXCEPTION, also for a name that collides with another once `.` and `_` are
 * treated alike), TOPIC_ALREADY_EXISTS, and the partition count (INVALID_PARTITIONS).
 */
export function validateNewTopic(name: string, partitions: number, existing: { has(name: string): boolean; names(): Iterable<string> }): void {
  validateTopicName(name);
  if (existing.has(name)) throw new TopicAlreadyExistsError(name);
  const key = collisionKey(name);
  for (const other of existing.names()) {
    if (collisionKey(other) === key) throw new InvalidTopicError(`Topic '${name}' collides with existing topic: ${other}`);
  }
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new InvalidPartitionsError(`Number of partitions must be larger than 0 (got ${partitions}).`);
  }
  checkPartitionCeiling(partitions);
}

/** CreatePartitions' check: the new total must be larger than the current count (INVALID_PARTITIONS). */
export function validatePartitionIncrease(current: number, newTotal: number): void {
  if (!Number.isInteger(newTotal) || newTotal <= current) {
    throw new InvalidPartitionsError(
      newTotal === current
        ? `Topic already has ${current} partitions.`
        : `Topic currently has ${current} partitions, which is higher than the requested ${newTotal}.`,
    );
  }
  checkPartitionCeiling(newTotal);
}

function checkPartitionCeiling(partitions: number): void {
  if (partitions > MAX_PARTITIONS_PER_TOPIC) {
    throw new InvalidPartitionsError(`Number of partitions ${partitions} is above kstream's limit of ${MAX_PARTITIONS_PER_TOPIC} per topic.`);
  }
}
