import { ErrorCode } from '../protocol/error-codes.ts';
import { TopicAlreadyExistsError } from '../storage/errors.ts';
import type { TopicInfo } from '../storage/log-manager.ts';
import { toErrorCode } from './errors.ts';
import type { BrokerContext } from './handler.ts';

/**
 * Looks a topic up, creating it with the broker defaults (num.partitions, default configs) when it is
 * unknown and `autoCreate` is set — what Kafka does for Metadata (and kstream also for Produce) with
 * auto.create.topics.enable. Two requests racing to create the same topic both succeed.
 */
export async function findOrCreateTopic(
  broker: BrokerContext,
  name: string,
  autoCreate: boolean,
): Promise<{ topic: TopicInfo; errorCode: typeof ErrorCode.NONE } | { topic: null; errorCode: number; message: string }> {
  const existing = broker.logs.getTopic(name);
  if (existing) return { topic: existing, errorCode: ErrorCode.NONE };
  if (!autoCreate || !broker.config.boolean('auto.create.topics.enable')) {
    return { topic: null, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, message: `unknown topic ${name}` };
  }
  try {
    const topic = await broker.logs.createTopic(name, { partitions: broker.config.number('num.partitions') });
    broker.logger.debug(`auto-created topic ${name}`);
    return { topic, errorCode: ErrorCode.NONE };
  } catch (err) {
    if (err instanceof TopicAlreadyExistsError) {
      const t = broker.logs.getTopic(name);
      if (t) return { topic: t, errorCode: ErrorCode.NONE };
    }
    const { errorCode, message } = toErrorCode(err, broker.logger, `auto-creating topic ${name}`);
    return { topic: null, errorCode, message };
  }
}

/**
 * Single node: this broker leads every partition at the partition log's leader epoch. A client's
 * CurrentLeaderEpoch (Fetch v9+, ListOffsets v4+) is checked as Kafka does: older → FENCED_LEADER_EPOCH,
 * newer → UNKNOWN_LEADER_EPOCH, -1 = not checked.
 */
export function checkLeaderEpoch(current: number, leaderEpoch: number): number {
  if (current < 0 || current === leaderEpoch) return ErrorCode.NONE;
  return current < leaderEpoch ? ErrorCode.FENCED_LEADER_EPOCH : ErrorCode.UNKNOWN_LEADER_EPOCH;
}
