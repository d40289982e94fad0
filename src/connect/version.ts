/** The Kafka version whose Connect semantics (REST bodies, configs) this runtime follows. */
export const KAFKA_VERSION = '3.9.0';
/** What GET / reports as `commit` (Kafka reports its git commit; we report our own marker). */
export const COMMIT_ID = 'kstream';
