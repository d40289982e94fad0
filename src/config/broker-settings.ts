import { atLeast, LONG_MAX, listOf, oneOf, type SettingDef, type Validator } from './definitions.ts';

/**
 * Every broker setting `kstream serve` accepts, by its Kafka name, with Kafka's type and default,
 * whether Kafka lets it change at runtime (DescribeConfigs readOnly=false, IncrementalAlterConfigs
 * on the broker resource), and, for the ones that change nothing on a single node, why
 * (`ignored`: named in serve's start-up warning when set). The topic defaults among them
 * (`log.retention.ms`, `log.cleanup.policy`, …) map to topic configs through topic-settings.ts.
 */
export interface BrokerSettingDef extends SettingDef {
  /** Kafka allows changing it at runtime (DynamicBrokerConfig.AllDynamicConfigs). */
  readonly dynamic: boolean;
}

const NO_REPLICATION = 'a single node has no replicas';
const NO_TIERED = 'no tiered storage';
const AS_PRODUCED = 'batches are stored as the producer compressed them';
const ONE_NODE = 'kstream is one node without ZooKeeper or a KRaft quorum';
const NODE_TLS = 'TLS is node:tls (OpenSSL): there are no Java key/trust manager or SSLContext choices';
const START_UP = ' (read at start-up here; dynamic per listener in Kafka)';
const NO_THREADS = 'kstream runs on one event loop; there are no thread pools';
const CLEANER = 'the cleaner runs every log.cleaner.backoff.ms on the event loop, with no buffers or threads of its own';
const NO_TS_CHECK = 'timestamps are not range-checked';

type Row = [name: string, type: SettingDef['type'], dflt: string | null, dynamic: boolean, doc: string, validate?: Validator, ignored?: string];

const ROWS: Row[] = [
  // Identity, listeners, data dir.
  ['node.id', 'INT', '1', false, 'This broker\'s node id (also the controller id). Alias: broker.id', atLeast(0)],
  ['listeners', 'STRING', null, false, 'NAME://host:port,... to listen on, one server each (empty host = all interfaces); --host/--port override the first'],
  ['advertised.listeners', 'STRING', null, false, 'NAME://host:port,... told to the clients of each listener; --advertised-host/--advertised-port override the first'],
  ['listener.security.protocol.map', 'STRING', 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL', false, 'Map between listener names and security protocols (NAME:PROTOCOL,...)'],
  ['inter.broker.listener.name', 'STRING', null, false, 'The listener other brokers connect to (its address is registered in the metadata store); not together with security.inter.broker.protocol (default: the PLAINTEXT listener, else the first)'],
  ['log.dirs', 'STRING', null, false, 'The data directory (the first of a comma-separated list) when --data-dir is not given'],
  ['log.dir', 'STRING', null, false, 'The data directory when log.dirs is not set and --data-dir is not given (Kafka\'s default /tmp/kafka-logs is not used: kstream defaults to $KSTREAM_DATA_DIR, else ~/.local/share/kstream)'],
  // Topics.
  ['num.partitions', 'INT', '1', false, 'The default number of log partitions per topic (auto-created topics, CreateTopics with -1)', atLeast(1)],
  ['default.replication.factor', 'INT', '1', false, 'The default replication factor for automatically created topics', undefined, 'one node holds one replica; topics report replication factor 1'],
  ['auto.create.topics.enable', 'BOOLEAN', 'true', false, 'Enable auto creation of topic on the server (Metadata v4+ when the client allows it, and Produce)'],
  ['delete.topic.enable', 'BOOLEAN', 'true', false, 'Enables delete topic'],
  // Requests.
  ['message.max.bytes', 'INT', '1048588', true, 'The largest record batch size allowed (the default of the topic config max.message.bytes)', atLeast(0)],
  ['socket.request.max.bytes', 'INT', '104857600', false, 'The maximum number of bytes in a socket request; larger frames close the connection', atLeast(1)],
  ['connections.max.idle.ms', 'LONG', '600000', false, 'Idle connections timeout: a connection with no request in progress and no bytes either way for this long is closed; -1 = never', atLeast(-1)],
  ['max.connections', 'INT', '2147483647', false, 'Connections served at once; further ones wait (unread) for a slot, as Kafka\'s acceptor does (read at start-up here; dynamic in Kafka)', atLeast(0)],
  ['max.connections.per.ip', 'INT', '2147483647', false, 'Connections allowed from one IP address; more are closed at once (read at start-up here; dynamic in Kafka)', atLeast(0)],
  ['max.connections.per.ip.overrides', 'STRING', '', false, 'Per-address exceptions to max.connections.per.ip: ip:count,ip:count'],
  // Client quotas (set per user/client-id with AlterClientQuotas; these shape how rates are measured).
  ['quota.window.num', 'INT', '11', false, 'The number of samples to retain in memory for client quotas', atLeast(1)],
  ['quota.window.size.seconds', 'INT', '1', false, 'The time span of each sample for client quotas', atLeast(1)],
  ['fetch.max.bytes', 'INT', '57671680', false, 'The maximum number of bytes returned by one Fetch request', atLeast(1024)],
  // Retention and segments (topic defaults).
  ['log.retention.hours', 'INT', '168', false, 'The number of hours to keep a log file before deleting it, tertiary to log.retention.ms'],
  ['log.retention.minutes', 'INT', null, false, 'The number of minutes to keep a log file before deleting it, secondary to log.retention.ms; if not set, log.retention.hours is used'],
  ['log.retention.ms', 'LONG', null, true, 'The number of milliseconds to keep a log file before deleting it; if not set, log.retention.minutes is used. -1 = no time limit'],
  ['log.retention.bytes', 'LONG', '-1', true, 'The maximum size of a partition before old segments are deleted (-1 = no limit)'],
  ['log.retention.check.interval.ms', 'LONG', '300000', false, 'How often retention (and compaction) runs', atLeast(1)],
  ['log.segment.bytes', 'INT', '1073741824', true, 'The maximum size of a single log file', atLeast(14)],
  ['log.roll.hours', 'INT', '168', false, 'The maximum time before a new log segment is rolled out (in hours), secondary to log.roll.ms', atLeast(1)],
  ['log.roll.ms', 'LONG', null, true, 'The maximum time before a new log segment is rolled out (in milliseconds); if not set, log.roll.hours is used'],
  ['log.roll.jitter.hours', 'INT', '0', false, 'The maximum jitter subtracted from logRollTimeMillis (in hours)', atLeast(0), 'one node has no thundering herd of rolls'],
  ['log.roll.jitter.ms', 'LONG', null, true, 'The maximum jitter subtracted from logRollTimeMillis (in milliseconds)', undefined, 'one node has no thundering herd of rolls'],
  ['log.index.interval.bytes', 'INT', '4096', true, 'The interval with which an entry is added to the offset index', atLeast(0)],
  ['log.index.size.max.bytes', 'INT', '10485760', true, 'The maximum size in bytes of the offset index', atLeast(4), 'indexes grow as needed'],
  ['log.segment.delete.delay.ms', 'LONG', '60000', true, 'The amount of time to wait before deleting a file from the filesystem', atLeast(0), 'segments are deleted at once'],
  ['log.cleanup.policy', 'LIST', 'delete', true, 'The default cleanup policy for segments beyond the retention window: delete and/or compact', listOf('compact', 'delete')],
  ['log.message.timestamp.type', 'STRING', 'CreateTime', true, 'The default message.timestamp.type of topics: CreateTime or LogAppendTime', oneOf('CreateTime', 'LogAppendTime')],
  ['log.message.timestamp.difference.max.ms', 'LONG', LONG_MAX, true, '[DEPRECATED] The maximum difference allowed between a message timestamp and the broker\'s', atLeast(0), NO_TS_CHECK],
  ['log.message.timestamp.before.max.ms', 'LONG', LONG_MAX, true, 'How far in the past a message timestamp may be', atLeast(0), NO_TS_CHECK],
  ['log.message.timestamp.after.max.ms', 'LONG', LONG_MAX, true, 'How far in the future a message timestamp may be', atLeast(0), NO_TS_CHECK],
  ['log.message.format.version', 'STRING', '3.0-IV1', false, '[DEPRECATED] The message format version; ignored by Kafka 3.x too (the format is always v2)', undefined, 'deprecated; the record format is always v2'],
  ['log.message.downconversion.enable', 'BOOLEAN', 'true', true, 'Whether down-conversion of message formats is enabled for consume requests', undefined, 'accepted for compatibility'],
  ['log.preallocate', 'BOOLEAN', 'false', true, 'Preallocate the file on disk when creating a new log segment', undefined, 'segment files grow as written'],
  ['log.local.retention.ms', 'LONG', '-2', true, 'Local retention of tiered topics (-2 = retention.ms)', atLeast(-2), NO_TIERED],
  ['log.local.retention.bytes', 'LONG', '-2', true, 'Local retention of tiered topics (-2 = retention.bytes)', atLeast(-2), NO_TIERED],
  ['compression.type', 'STRING', 'producer', true, 'The default compression.type of topics', oneOf('uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'), AS_PRODUCED],
  ['compression.gzip.level', 'INT', '-1', true, 'The default gzip level of topics', undefined, AS_PRODUCED],
  ['compression.lz4.level', 'INT', '9', true, 'The default lz4 level of topics', undefined, AS_PRODUCED],
  ['compression.zstd.level', 'INT', '3', true, 'The default zstd level of topics', undefined, AS_PRODUCED],
  ['min.insync.replicas', 'INT', '1', true, 'The minimum number of in-sync replicas for acks=all (the default of the topic config; counts only for replicated partitions)', atLeast(1)],
  ['unclean.leader.election.enable', 'BOOLEAN', 'false', true, 'Whether replicas not in the ISR may be elected leader', undefined, NO_REPLICATION],
  // Flushing.
  ['log.flush.interval.messages', 'LONG', LONG_MAX, true, 'The number of messages accumulated on a partition before they are fsynced', atLeast(1)],
  ['log.flush.interval.ms', 'LONG', null, true, 'The maximum time in ms that a message stays in memory before it is fsynced; if not set, log.flush.scheduler.interval.ms is used'],
  ['log.flush.scheduler.interval.ms', 'LONG', LONG_MAX, false, 'The default of flush.ms when log.flush.interval.ms is not set'],
  ['log.flush.offset.checkpoint.interval.ms', 'INT', '60000', false, 'How often the recovery-point checkpoint (what a restart need not re-validate) is written', atLeast(1)],
  ['log.fsync', 'STRING', 'interval', false, 'kstream: when appends are fsynced: always (before acknowledging), interval (every log.fsync.interval.ms), never (left to the OS, Kafka\'s default)', oneOf('always', 'interval', 'never')],
  ['log.fsync.interval.ms', 'LONG', '1000', false, 'kstream: the timer of log.fsync=interval', atLeast(1)],
  // Log cleaner (compaction).
  ['log.cleaner.enable', 'BOOLEAN', 'true', false, 'Enable the log cleaner', undefined, 'compaction of cleanup.policy=compact topics always runs'],
  ['log.cleaner.delete.retention.ms', 'LONG', '86400000', true, 'The default delete.retention.ms of topics: how long tombstones are kept', atLeast(0)],
  ['log.cleaner.min.compaction.lag.ms', 'LONG', '0', true, 'The default min.compaction.lag.ms of topics', atLeast(0)],
  ['log.cleaner.max.compaction.lag.ms', 'LONG', LONG_MAX, true, 'The default max.compaction.lag.ms of topics', atLeast(1), CLEANER],
  ['log.cleaner.min.cleanable.ratio', 'DOUBLE', '0.5', true, 'The default min.cleanable.dirty.ratio of topics'],
  ['log.cleaner.threads', 'INT', '1', true, 'The number of background threads to use for log cleaning', atLeast(0), NO_THREADS],
  ['log.cleaner.dedupe.buffer.size', 'LONG', '134217728', true, 'The total memory used for log deduplication across all cleaner threads', undefined, CLEANER],
  ['log.cleaner.io.buffer.size', 'INT', '524288', true, 'The total memory used for log cleaner I/O buffers across all cleaner threads', atLeast(0), CLEANER],
  ['log.cleaner.io.buffer.load.factor', 'DOUBLE', '0.9', true, 'Log cleaner dedupe buffer load factor', undefined, CLEANER],
  ['log.cleaner.io.max.bytes.per.second', 'DOUBLE', '1.7976931348623157E308', true, 'The log cleaner will be throttled so that the sum of its read and write i/o will be less than this value on average', undefined, CLEANER],
  ['log.cleaner.backoff.ms', 'LONG', '15000', false, 'How often compacted topics are checked for a cleanable dirty share (kstream reads it at start-up)', atLeast(1)],
  // Groups and offsets.
  ['group.initial.rebalance.delay.ms', 'INT', '3000', false, 'The time the group coordinator waits for more consumers to join a new group before the first rebalance', atLeast(0)],
  ['group.min.session.timeout.ms', 'INT', '6000', false, 'The minimum allowed session timeout for registered consumers', atLeast(0)],
  ['group.max.session.timeout.ms', 'INT', '1800000', false, 'The maximum allowed session timeout for registered consumers', atLeast(0)],
  ['offsets.topic.segment.bytes', 'INT', '104857600', false, 'The segment.bytes of __consumer_offsets: kept small so compaction reaches rolled segments and start-up loads little', atLeast(1)],
  ['transaction.max.timeout.ms', 'INT', '900000', false, 'The maximum allowed timeout for transactions; a producer asking for more gets INVALID_TRANSACTION_TIMEOUT', atLeast(1)],
  ['transactional.id.expiration.ms', 'INT', '604800000', false, 'How long the transaction coordinator keeps a transactional id without updates to its state', atLeast(1)],
  ['transaction.abort.timed.out.transaction.cleanup.interval.ms', 'INT', '10000', false, 'The interval at which to roll back transactions that have timed out', atLeast(1)],
  ['transaction.remove.expired.transaction.cleanup.interval.ms', 'INT', '3600000', false, 'The interval at which to remove transactions that have expired due to transactional.id.expiration.ms passing', atLeast(1)],
  ['transaction.state.log.segment.bytes', 'INT', '104857600', false, 'The transaction topic segment bytes should be kept relatively small in order to facilitate faster log compaction and cache loads', atLeast(1)],
  ['offsets.retention.minutes', 'INT', '10080', false, 'How long committed offsets are kept after a group becomes empty', atLeast(1)],
  ['offsets.retention.check.interval.ms', 'LONG', '600000', false, 'Frequency at which to check for stale offsets', atLeast(1)],
  ['offset.metadata.max.bytes', 'INT', '4096', false, 'The maximum size for a metadata entry associated with an offset commit'],
  ['producer.id.expiration.ms', 'INT', '86400000', false, 'How long a producer id is kept after its last write (Kafka can change it at runtime; kstream at start-up)', atLeast(1)],
  // kstream keeps each internal topic in one partition and gives it segment.bytes = *.segment.bytes /
  // *.num.partitions, the history per active segment Kafka's partitions have (partition-offset-log.ts).
  ['offsets.topic.num.partitions', 'INT', '50', false, 'The number of partitions for the offset commit topic (kstream: one partition, whose segment.bytes is offsets.topic.segment.bytes divided by this)', atLeast(1)],
  ['transaction.state.log.num.partitions', 'INT', '50', false, 'The number of partitions for the transaction topic (kstream: one partition, whose segment.bytes is transaction.state.log.segment.bytes divided by this)', atLeast(1)],
  ['offsets.topic.replication.factor', 'SHORT', '3', false, 'The replication factor for the offsets topic', atLeast(1), NO_REPLICATION],
  ['transaction.state.log.replication.factor', 'SHORT', '3', false, 'The replication factor for the transaction topic', atLeast(1), NO_REPLICATION],
  ['transaction.state.log.min.isr', 'INT', '2', false, 'min.insync.replicas of the transaction topic', atLeast(1), NO_REPLICATION],
  ['offsets.commit.timeout.ms', 'INT', '5000', false, 'Offset commit will be delayed until all replicas for the offsets topic receive the commit or this timeout is reached', atLeast(1), NO_REPLICATION],
  // Security (src/security/, docs/security.md): TLS and SASL. Every ssl.* / sasl.* setting may also be
  // given per listener as listener.name.<listener>.<setting>, and JAAS per mechanism as
  // listener.name.<listener>.<mechanism>.sasl.jaas.config, as in Kafka.
  // Authorization (src/security/authorizer/, docs/security.md): Kafka's StandardAuthorizer semantics.
  ['authorizer.class.name', 'STRING', '', false, 'Enables ACL authorization: org.apache.kafka.metadata.authorizer.StandardAuthorizer (or kafka.security.authorizer.AclAuthorizer, the same semantics here); empty = every principal may do everything' + ' (read at start-up)', oneOf('', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'kafka.security.authorizer.AclAuthorizer')],
  ['super.users', 'STRING', '', false, 'Principals allowed everything whatever the ACLs say, separated by semicolons: User:admin;User:CN=ops (read at start-up)'],
  ['allow.everyone.if.no.acl.found', 'BOOLEAN', 'false', false, 'Allow a request on a resource no ACL applies to (read at start-up)'],
  ['sasl.enabled.mechanisms', 'LIST', 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512', false, 'SASL mechanisms offered on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER (Kafka\'s default GSSAPI is not served)' + START_UP],
  ['sasl.jaas.config', 'PASSWORD', null, false, 'JAAS login context of SASL listeners without a listener.name.<l>.<mechanism>.sasl.jaas.config (PLAIN users: user_<name>="<password>")' + START_UP],
  ['connections.max.reauth.ms', 'LONG', '0', false, 'KIP-368 session lifetime of SASL connections (0 = forever); an expired session must re-authenticate', atLeast(0)],
  ['connection.failed.authentication.delay.ms', 'INT', '100', false, 'Delay before answering (and closing) a failed authentication', atLeast(0)],
  ['ssl.keystore.type', 'STRING', 'JKS', false, 'The keystore format: PEM or PKCS12 (JKS is Java-only: convert it)' + START_UP, oneOf('JKS', 'PKCS12', 'PEM')],
  ['ssl.keystore.location', 'STRING', null, false, 'PEM file with the certificate chain and private key, or a PKCS12 file' + START_UP],
  ['ssl.keystore.password', 'PASSWORD', null, false, 'The password of a PKCS12 keystore' + START_UP],
  ['ssl.keystore.certificate.chain', 'PASSWORD', null, false, 'PEM certificate chain given inline (ssl.keystore.type=PEM)' + START_UP],
  ['ssl.keystore.key', 'PASSWORD', null, false, 'PEM private key given inline (ssl.keystore.type=PEM)' + START_UP],
  ['ssl.key.password', 'PASSWORD', null, false, 'The password of an encrypted private key' + START_UP],
  ['ssl.truststore.type', 'STRING', 'JKS', false, 'The truststore format: PEM (CA certificates that client certificates are checked against)' + START_UP, oneOf('JKS', 'PKCS12', 'PEM')],
  ['ssl.truststore.location', 'STRING', null, false, 'PEM file of trusted CA certificates (for ssl.client.auth)' + START_UP],
  ['ssl.truststore.password', 'PASSWORD', null, false, 'Accepted for compatibility (PEM truststores have no password)' + START_UP],
  ['ssl.truststore.certificates', 'PASSWORD', null, false, 'Trusted CA certificates in PEM given inline' + START_UP],
  ['ssl.client.auth', 'STRING', 'none', false, 'Ask TLS clients for a certificate (mTLS): none, requested or required' + START_UP, oneOf('none', 'requested', 'required')],
  ['ssl.principal.mapping.rules', 'STRING', 'DEFAULT', false, 'Certificate subject (RFC 2253) to principal name: DEFAULT or RULE:pattern/replacement/[LU], ...'],
  ['ssl.enabled.protocols', 'LIST', 'TLSv1.2,TLSv1.3', false, 'The TLS versions accepted' + START_UP],
  // Accepted so Kafka's sample server.properties works; meaningless on one node.
  ['num.network.threads', 'INT', '3', true, 'The number of threads that the server uses for receiving requests and sending responses', atLeast(1), NO_THREADS],
  ['num.io.threads', 'INT', '8', true, 'The number of threads that the server uses for processing requests', atLeast(1), NO_THREADS],
  ['num.recovery.threads.per.data.dir', 'INT', '1', true, 'The number of threads per data directory used for log recovery', atLeast(1), NO_THREADS],
  ['num.replica.fetchers', 'INT', '1', true, 'Fetchers per source broker: partitions led by one broker are spread over this many fetch connections', atLeast(1)],
  ['socket.send.buffer.bytes', 'INT', '102400', false, 'The SO_SNDBUF buffer of the socket server sockets', undefined, 'the operating system sizes socket buffers'],
  ['socket.receive.buffer.bytes', 'INT', '102400', false, 'The SO_RCVBUF buffer of the socket server sockets', undefined, 'the operating system sizes socket buffers'],
  // Replication (src/replication): read when a partition becomes leader or follower.
  ['replica.lag.time.max.ms', 'LONG', '30000', false, 'If a follower has not sent any fetch requests or has not consumed up to the leader\'s log end offset for at least this time, the leader removes it from the ISR', atLeast(1)],
  ['replica.fetch.max.bytes', 'INT', '1048576', false, 'The number of bytes of messages to attempt to fetch for each partition (at least one batch is always returned)', atLeast(0)],
  ['replica.fetch.response.max.bytes', 'INT', '10485760', false, 'Maximum bytes expected for the entire fetch response of a follower', atLeast(0)],
  ['replica.fetch.wait.max.ms', 'INT', '500', false, 'The maximum wait time for each fetcher request issued by follower replicas', atLeast(0)],
  ['replica.fetch.min.bytes', 'INT', '1', false, 'Minimum bytes expected for each fetch response of a follower; if not enough bytes, wait up to replica.fetch.wait.max.ms', atLeast(0)],
  ['replica.fetch.backoff.ms', 'INT', '1000', false, 'The amount of time to sleep when a fetch partition error occurs', atLeast(0)],
  ['replica.high.watermark.checkpoint.interval.ms', 'LONG', '5000', false, 'The frequency with which the high watermark is saved out to disk (replication-offset-checkpoint)', atLeast(1), 'the high watermark is checkpointed with the other offset checkpoints (log.flush.offset.checkpoint.interval.ms)'],
  ['broker.rack', 'STRING', null, false, 'Rack of the broker: rack-aware replica assignment in cluster mode, and the leader answers a consumer in the same rack (client.rack) with this broker as preferred read replica (KIP-392)'],
  ['replica.selector.class', 'STRING', null, false, 'The ReplicaSelector for fetch from follower: org.apache.kafka.common.replica.RackAwareReplicaSelector (the only one served); unset = always the leader'],
  ['auto.leader.rebalance.enable', 'BOOLEAN', 'true', false, 'Enables auto leader balancing', undefined, NO_REPLICATION],
  // Cluster mode (kstream): the metadata store replaces ZooKeeper / KRaft; see docs/cluster.md.
  ['metadata.store', 'STRING', null, false, 'Where cluster metadata lives: unset or "local" = this single node; etcd://host:port[,host:port...] = join the cluster whose metadata that etcd holds (brokers, topics, leaders, ISRs, controller)'],
  ['leader.imbalance.check.interval.seconds', 'LONG', '300', false, 'How often the controller checks for preferred leaders to move back (auto.leader.rebalance.enable)', atLeast(1)],
  ['broker.session.timeout.ms', 'INT', '9000', false, 'Cluster mode: how long after its last keep-alive a broker is declared lost (its etcd lease TTL; etcd rounds up to whole seconds)', atLeast(1000)],
  ['controlled.shutdown.enable', 'BOOLEAN', 'true', false, 'Cluster mode: on shutdown, move leadership away before leaving'],
  ['process.roles', 'LIST', '', false, 'The roles this process plays in KRaft mode', undefined, ONE_NODE],
  ['controller.quorum.voters', 'LIST', '', false, 'The KRaft controller quorum voters', undefined, ONE_NODE],
  ['controller.quorum.bootstrap.servers', 'LIST', '', false, 'The KRaft controller quorum bootstrap servers', undefined, ONE_NODE],
  ['controller.listener.names', 'STRING', null, false, 'The listener names used by the controller', undefined, ONE_NODE + '; listeners named here are not served'],
  ['security.inter.broker.protocol', 'STRING', 'PLAINTEXT', false, 'Security protocol used to communicate between brokers: the listener named after it is the inter-broker listener (not together with inter.broker.listener.name)', oneOf('PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL')],
  ['sasl.mechanism.inter.broker.protocol', 'STRING', 'GSSAPI', true, 'SASL mechanism used for inter-broker communication (must be in the inter-broker listener\'s sasl.enabled.mechanisms; credentials: username/password of listener.name.<l>.<mechanism>.sasl.jaas.config)' + START_UP],
  ['ssl.endpoint.identification.algorithm', 'STRING', 'https', true, 'The endpoint identification algorithm to validate server hostname using server certificate (inter-broker TLS connections; empty = no host name check)' + START_UP],
  ['ssl.protocol', 'STRING', 'TLSv1.3', true, 'The SSL protocol used to generate the SSLContext', undefined, NODE_TLS],
  ['ssl.keymanager.algorithm', 'STRING', 'SunX509', true, 'The algorithm used by key manager factory for SSL connections', undefined, NODE_TLS],
  ['ssl.trustmanager.algorithm', 'STRING', 'PKIX', true, 'The algorithm used by trust manager factory for SSL connections', undefined, NODE_TLS],
  ['zookeeper.connect', 'STRING', null, false, 'The ZooKeeper connection string', undefined, ONE_NODE],
  ['zookeeper.connection.timeout.ms', 'INT', null, false, 'The max time to wait to establish a connection to ZooKeeper', undefined, ONE_NODE],
];

export const BROKER_SETTINGS: readonly BrokerSettingDef[] = ROWS.map(([name, type, dflt, dynamic, doc, validate, ignored]) => ({
  name,
  type,
  default: dflt,
  dynamic,
  doc,
  ...(validate ? { validate } : {}),
  ...(ignored ? { ignored } : {}),
}));

const BY_NAME = new Map(BROKER_SETTINGS.map((d) => [d.name, d]));

/** Kafka's other names for a setting. */
export const BROKER_SETTING_ALIASES: Readonly<Record<string, string>> = { 'broker.id': 'node.id' };

/** The definition of a broker setting by its name or alias. */
export function brokerSetting(name: string): BrokerSettingDef | undefined {
  return BY_NAME.get(BROKER_SETTING_ALIASES[name] ?? name);
}

/**
 * Kafka's brokerConfigSynonyms: the names that set the same thing, highest precedence first
 * (`log.retention.hours` → ms, minutes, hours). DescribeConfigs lists synonyms in this order.
 */
export function brokerSettingSynonyms(name: string): string[] {
  // Kafka lists log.flush.scheduler.interval.ms as a synonym of log.flush.interval.ms only.
  if (name === 'log.flush.scheduler.interval.ms') return [name];
  for (const group of SYNONYM_GROUPS) if (group.includes(name)) return [...group];
  return [name];
}

const SYNONYM_GROUPS: readonly (readonly string[])[] = [
  ['log.roll.ms', 'log.roll.hours'],
  ['log.roll.jitter.ms', 'log.roll.jitter.hours'],
  ['log.flush.interval.ms', 'log.flush.scheduler.interval.ms'],
  ['log.retention.ms', 'log.retention.minutes', 'log.retention.hours'],
];
