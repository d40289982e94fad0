/**
 * The group coordinator's settings (Kafka's broker settings of the same meaning) and the logger it
 * writes through. The broker maps its BrokerConfig onto this; tests pass what they need.
 */

export interface CoordinatorConfig {
  /** group.initial.rebalance.delay.ms: how long a brand-new group waits for more members. */
  initialRebalanceDelayMs: number;
  /** group.min.session.timeout.ms / group.max.session.timeout.ms. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** offsets.retention.minutes, in ms. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms. */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes. */
  offsetMetadataMaxBytes: number;
  /** How long a member that has never completed a join round may wait in one (Kafka: 5 minutes). */
  newMemberJoinTimeoutMs: number;
}

export const defaultCoordinatorConfig: CoordinatorConfig = {
  initialRebalanceDelayMs: 3000,
  minSessionTimeoutMs: 6000,
  maxSessionTimeoutMs: 1_800_000,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  newMemberJoinTimeoutMs: 300_000,};

/**
 * What the coordinator logs through: structurally the broker's Logger, injected so the coordinator
 * never imports the broker layer. Info lines follow Kafka's GroupCoordinator (joins, rebalances with
 * their reason, completed generations, expirations).
 */
export interface CoordinatorLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Default when none is injected (unit tests): silent except errors. */
export const quietLogger: CoordinatorLogger = {
  info() {},
  warn() {},
  error: (m) => process.stderr.write(`ERROR coordinator: ${m}\n`),
};
