import { InvalidTopicError } from './errors.ts';

/** Kafka's limit: 249 characters, so `<topic>-<partition>` stays a legal file name. */
export const MAX_TOPIC_NAME_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Throws InvalidTopicError (17) with Kafka's wording when `name` is not a legal topic name. */
export function validateTopicName(name: string): void {
  if (name.length === 0) throw new InvalidTopicError('Topic name is illegal, it can\'t be empty');
  if (name === '.' || name === '..') throw new InvalidTopicError('Topic name cannot be "." or ".."');
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    throw new InvalidTopicError(`Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`);
  }
  if (!LEGAL.test(name)) {
    throw new InvalidTopicError(`Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`);
  }
}

/** Kafka: '.' and '_' collide in metric names, so "a.b" and "a_b" cannot both exist. */
export const collisionKey = (name: string): string => name.replace(/\./g, '_');

/** Kafka's internal topics (Metadata isInternal). Storage treats them like any topic. */
export const isInternalTopic = (name: string): boolean => name === '__consumer_offsets' || name === '__transaction_state';
