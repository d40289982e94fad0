/**
 * Kafka's topic-name rule as its clients apply it (org.apache.kafka.common.internals.Topic.validate):
 * checked before any request, so a bad name fails at once with Kafka's reason instead of after
 * metadata retries.
 */

const MAX_LENGTH = 249;
const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Kafka's wording of why `name` is not a legal topic name, or undefined when it is legal. */
export function invalidTopicReason(name: string): string | undefined {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === '.' || name === '..') return 'Topic name cannot be "." or ".."';
  if (name.length > MAX_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return undefined;
}
