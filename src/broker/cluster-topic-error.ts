/**
 * A cluster-mode topic operation (create, auto-create, reassign) refused with a Kafka error code.
 * Its own module so that the handlers which test for it (CreateTopics, Metadata) do not import
 * cluster-mode.ts, and with it the metadata store and etcd client, on a standalone broker.
 */
export class ClusterTopicError extends Error {
  override name = 'ClusterTopicError';
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}
