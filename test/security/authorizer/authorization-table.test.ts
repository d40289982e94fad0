/**
 * The authorization table: for every API the broker serves, over a real SASL_PLAINTEXT connection as
 * User:alice, four ACL situations — no ACL, only DESCRIBE on the resource, the ACL the API needs, and
 * that ACL plus a DENY — and for topic APIs an existing and a missing topic. The error code each
 * situation must produce is Kafka's (KafkaApis); "allowed" means the authorization code is absent and,
 * for a missing topic, that only then UNKNOWN_TOPIC_OR_PARTITION is disclosed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode as E } from '../../../src/protocol/error-codes.ts';
import { encodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { AclOperation as Op, AclPermissionType as Perm, type AclBinding, CLUSTER_NAME, PatternType, ResourceType as Res } from '../../../src/security/authorizer/acl.ts';
import type { StandardAuthorizer } from '../../../src/security/authorizer/standard-authorizer.ts';
import { closeAll, RawClient, startTestBroker, type TestBroker } from '../../helpers/index.ts';
import { handlers } from '../../../src/broker/handlers/index.ts';
import { aliceAcl, saslPlain, setAcls, standardAuthorizerConfig } from './acl-fixtures.ts';
import {
  AddOffsetsToTxnFacts, AddPartitionsToTxnFacts, AlterClientQuotasFacts, AlterConfigsFacts,
  AlterPartitionReassignmentsFacts, AlterUserScramCredentialsFacts, CreateAclsFacts, CreatePartitionsFacts,
  CreateTopicsFacts, DeleteAclsFacts, DeleteGroupsFacts, DeleteRecordsFacts, DeleteTopicsFacts, DescribeAclsFacts,
  DescribeClientQuotasFacts, DescribeClusterFacts, DescribeConfigsFacts, DescribeGroupsFacts, DescribeLogDirsFacts,
  DescribeProducersFacts, DescribeTransactionsFacts, DescribeUserScramCredentialsFacts, ElectLeadersFacts, EndTxnFacts,
  FetchFacts, FindCoordinatorFacts, HeartbeatFacts, IncrementalAlterConfigsFacts, InitProducerIdFacts, JoinGroupFacts,
  LeaveGroupFacts, ListGroupsFacts, ListOffsetsFacts, ListPartitionReassignmentsFacts, ListTransactionsFacts,
  MetadataFacts, OffsetCommitFacts, OffsetDeleteFacts, OffsetFetchFacts, OffsetForLeaderEpochFacts, ProduceFacts,
  SyncGroupFacts, TxnOffsetCommitFacts, WriteTxnMarkersFacts,
} from '../../../src/protocol/messages/api-facts.ts';

const EXISTING = 'acl-existing';
const MISSING = 'acl-missing';
const GROUP = 'acl-group';
const TXN = 'acl-txn';

let b: TestBroker;
let alice: RawClient;
let authorizer: StandardAuthorizer;

const acl = aliceAcl;
const topic = (op: number, name: string, perm?: number) => acl(Res.TOPIC, name, op, perm);
const group = (op: number, perm?: number) => acl(Res.GROUP, GROUP, op, perm);
const txn = (op: number, perm?: number) => acl(Res.TRANSACTIONAL_ID, TXN, op, perm);
const cluster = (op: number, perm?: number) => acl(Res.CLUSTER, CLUSTER_NAME, op, perm);

const grant = (...bindings: AclBinding[]) => setAcls(authorizer, ...bindings);

const fetchPartition = (t: string) => ({ topic: t, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 100_000 }] });
const batch = (transactional = false) => encodeRecordBatch({ producerId: transactional ? 1000n : -1n, producerEpoch: transactional ? 0 : -1, baseSequence: transactional ? 0 : -1, transactional, records: [{ value: 'v' }] });
/** The first partition-level code, else the top-level one. */
const firstCode = (top: number | undefined, partitions: { errorCode?: number; partitionErrorCode?: number }[] | undefined) =>
  partitions && partitions.length > 0 ? (partitions[0]!.errorCode ?? partitions[0]!.partitionErrorCode)! : (top ?? 0);

interface Case {
  name: string;
  /** The resource the ACLs below are about; topic cases run against EXISTING and MISSING. */
  on: 'topic' | 'group' | 'txn' | 'cluster';
  /** Sends the request (for topic cases naming `t`) and returns the error code that matters. */
  send(t: string): Promise<number>;
  /** ACLs on other resources the request also needs, always granted. */
  context?: (t: string) => AclBinding[];
  /** The operation(s) on the resource that the API needs. */
  ops: number[];
  /** The code a refusal gets. */
  refused: number;
}

const cases: Case[] = [
  { name: 'Produce', on: 'topic', ops: [Op.WRITE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(ProduceFacts, 9, { transactionalId: null, acks: -1, timeoutMs: 5000, topicData: [{ name: t, partitionData: [{ index: 0, records: batch() }] }] })).responses[0].partitionResponses[0].errorCode },
  { name: 'Fetch', on: 'topic', ops: [Op.READ], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(FetchFacts, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 100_000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [fetchPartition(t)], forgottenTopicsData: [], rackId: '' })).responses[0].partitions[0].errorCode },
  { name: 'ListOffsets', on: 'topic', ops: [Op.DESCRIBE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(ListOffsetsFacts, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: t, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] })).topics[0].partitions[0].errorCode },
  { name: 'Metadata', on: 'topic', ops: [Op.DESCRIBE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(MetadataFacts, 9, { topics: [{ name: t }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).topics[0].errorCode },
  { name: 'OffsetCommit (topic)', on: 'topic', ops: [Op.READ], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [group(Op.READ)],
    send: async (t) => (await alice.request(OffsetCommitFacts, 8, { groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: t, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] })).topics[0].partitions[0].errorCode },
  { name: 'OffsetFetch (topic)', on: 'topic', ops: [Op.DESCRIBE], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [group(Op.DESCRIBE)],
    send: async (t) => (await alice.request(OffsetFetchFacts, 7, { groupId: GROUP, topics: [{ name: t, partitionIndexes: [0] }], requireStable: false })).topics[0].partitions[0].errorCode },
  { name: 'DeleteRecords', on: 'topic', ops: [Op.DELETE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(DeleteRecordsFacts, 2, { topics: [{ name: t, partitions: [{ partitionIndex: 0, offset: 0n }] }], timeoutMs: 5000 })).topics[0].partitions[0].errorCode },
  { name: 'CreatePartitions', on: 'topic', ops: [Op.ALTER], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(CreatePartitionsFacts, 3, { topics: [{ name: t, count: 1, assignments: null }], timeoutMs: 5000, validateOnly: true })).results[0].errorCode },
  { name: 'DeleteTopics', on: 'topic', ops: [Op.DELETE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(DeleteTopicsFacts, 5, { topicNames: [t], timeoutMs: 5000 })).responses[0].errorCode },
  { name: 'CreateTopics', on: 'topic', ops: [Op.CREATE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(CreateTopicsFacts, 7, { topics: [{ name: t, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true })).topics[0].errorCode },
  { name: 'DescribeConfigs (topic)', on: 'topic', ops: [Op.DESCRIBE_CONFIGS], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(DescribeConfigsFacts, 4, { resources: [{ resourceType: 2, resourceName: t, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false })).results[0].errorCode },
  { name: 'AlterConfigs (topic)', on: 'topic', ops: [Op.ALTER_CONFIGS], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(AlterConfigsFacts, 2, { resources: [{ resourceType: 2, resourceName: t, configs: [{ name: 'retention.ms', value: '1000000' }] }], validateOnly: true })).responses[0].errorCode },
  { name: 'IncrementalAlterConfigs (topic)', on: 'topic', ops: [Op.ALTER_CONFIGS], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(IncrementalAlterConfigsFacts, 1, { resources: [{ resourceType: 2, resourceName: t, configs: [{ name: 'retention.ms', configOperation: 0, value: '1000000' }] }], validateOnly: true })).responses[0].errorCode },
  { name: 'DescribeProducers', on: 'topic', ops: [Op.READ], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(DescribeProducersFacts, 0, { topics: [{ name: t, partitionIndexes: [0] }] })).topics[0].partitions[0].errorCode },
  { name: 'AddPartitionsToTxn v3 (topic)', on: 'topic', ops: [Op.WRITE], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [txn(Op.WRITE)],
    send: async (t) => (await alice.request(AddPartitionsToTxnFacts, 3, { v3AndBelowTransactionalId: TXN, v3AndBelowProducerId: 1000n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: t, partitions: [0] }] })).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode },
  { name: 'TxnOffsetCommit (topic)', on: 'topic', ops: [Op.READ], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [txn(Op.WRITE), group(Op.READ)],
    send: async (t) => (await alice.request(TxnOffsetCommitFacts, 3, { transactionalId: TXN, groupId: GROUP, producerId: 1000n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: t, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] })).topics[0].partitions[0].errorCode },
  { name: 'OffsetForLeaderEpoch (consumer)', on: 'topic', ops: [Op.DESCRIBE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async (t) => (await alice.request(OffsetForLeaderEpochFacts, 4, { replicaId: -1, topics: [{ topic: t, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })).topics[0].partitions[0].errorCode },
  { name: 'OffsetDelete (topic)', on: 'topic', ops: [Op.READ], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [group(Op.DELETE)],
    send: async (t) => { const r = await alice.request(OffsetDeleteFacts, 0, { groupId: GROUP, topics: [{ name: t, partitions: [{ partitionIndex: 0 }] }] }); return firstCode(r.errorCode, r.topics[0]?.partitions); } },

  { name: 'JoinGroup', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(JoinGroupFacts, 5, { groupId: GROUP, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] })).errorCode },
  { name: 'SyncGroup', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(SyncGroupFacts, 3, { groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null, assignments: [] })).errorCode },
  { name: 'Heartbeat', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(HeartbeatFacts, 3, { groupId: GROUP, generationId: 1, memberId: 'm', groupInstanceId: null })).errorCode },
  { name: 'LeaveGroup', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(LeaveGroupFacts, 3, { groupId: GROUP, members: [{ memberId: 'm', groupInstanceId: null }] })).errorCode },
  { name: 'OffsetCommit (group)', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED, context: () => [topic(Op.READ, EXISTING)],
    send: async () => (await alice.request(OffsetCommitFacts, 8, { groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: EXISTING, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] })).topics[0].partitions[0].errorCode },
  { name: 'OffsetFetch (group)', on: 'group', ops: [Op.DESCRIBE], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(OffsetFetchFacts, 7, { groupId: GROUP, topics: null, requireStable: false })).errorCode },
  { name: 'FindCoordinator (group)', on: 'group', ops: [Op.DESCRIBE], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(FindCoordinatorFacts, 3, { key: GROUP, keyType: 0 })).errorCode },
  { name: 'DescribeGroups', on: 'group', ops: [Op.DESCRIBE], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeGroupsFacts, 5, { groups: [GROUP], includeAuthorizedOperations: true })).groups[0].errorCode },
  { name: 'DeleteGroups', on: 'group', ops: [Op.DELETE], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DeleteGroupsFacts, 2, { groupsNames: [GROUP] })).results[0].errorCode },
  { name: 'OffsetDelete (group)', on: 'group', ops: [Op.DELETE], refused: E.GROUP_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(OffsetDeleteFacts, 0, { groupId: GROUP, topics: [] })).errorCode },
  { name: 'AddOffsetsToTxn (group)', on: 'group', ops: [Op.READ], refused: E.GROUP_AUTHORIZATION_FAILED, context: () => [txn(Op.WRITE)],
    send: async () => (await alice.request(AddOffsetsToTxnFacts, 3, { transactionalId: TXN, producerId: 1000n, producerEpoch: 0, groupId: GROUP })).errorCode },

  { name: 'InitProducerId (transactional)', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(InitProducerIdFacts, 4, { transactionalId: TXN, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode },
  { name: 'FindCoordinator (transaction)', on: 'txn', ops: [Op.DESCRIBE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(FindCoordinatorFacts, 3, { key: TXN, keyType: 1 })).errorCode },
  { name: 'Produce (transactional)', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, context: () => [topic(Op.WRITE, EXISTING)],
    send: async () => (await alice.request(ProduceFacts, 9, { transactionalId: TXN, acks: -1, timeoutMs: 5000, topicData: [{ name: EXISTING, partitionData: [{ index: 0, records: batch(true) }] }] })).responses[0].partitionResponses[0].errorCode },
  { name: 'AddPartitionsToTxn v3 (transaction)', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, context: () => [topic(Op.WRITE, EXISTING)],
    send: async () => (await alice.request(AddPartitionsToTxnFacts, 3, { v3AndBelowTransactionalId: TXN, v3AndBelowProducerId: 1000n, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [{ name: EXISTING, partitions: [0] }] })).resultsByTopicV3AndBelow[0].resultsByPartition[0].partitionErrorCode },
  { name: 'AddOffsetsToTxn (transaction)', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, context: () => [group(Op.READ)],
    send: async () => (await alice.request(AddOffsetsToTxnFacts, 3, { transactionalId: TXN, producerId: 1000n, producerEpoch: 0, groupId: GROUP })).errorCode },
  { name: 'EndTxn', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(EndTxnFacts, 3, { transactionalId: TXN, producerId: 1000n, producerEpoch: 0, committed: false })).errorCode },
  { name: 'TxnOffsetCommit (transaction)', on: 'txn', ops: [Op.WRITE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, context: () => [group(Op.READ), topic(Op.READ, EXISTING)],
    send: async () => (await alice.request(TxnOffsetCommitFacts, 3, { transactionalId: TXN, groupId: GROUP, producerId: 1000n, producerEpoch: 0, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: EXISTING, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] })).topics[0].partitions[0].errorCode },
  { name: 'DescribeTransactions', on: 'txn', ops: [Op.DESCRIBE], refused: E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeTransactionsFacts, 0, { transactionalIds: [TXN] })).transactionStates[0].errorCode },

  { name: 'InitProducerId (idempotent)', on: 'cluster', ops: [Op.IDEMPOTENT_WRITE], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(InitProducerIdFacts, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode },
  { name: 'Fetch (replica)', on: 'cluster', ops: [Op.CLUSTER_ACTION], refused: E.TOPIC_AUTHORIZATION_FAILED, context: () => [topic(Op.READ, EXISTING)],
    send: async () => (await alice.request(FetchFacts, 12, { replicaId: 2, maxWaitMs: 0, minBytes: 0, maxBytes: 100_000, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [fetchPartition(EXISTING)], forgottenTopicsData: [], rackId: '' })).responses[0].partitions[0].errorCode },
  { name: 'WriteTxnMarkers', on: 'cluster', ops: [Op.CLUSTER_ACTION], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(WriteTxnMarkersFacts, 1, { markers: [{ producerId: 1000n, producerEpoch: 0, transactionResult: false, topics: [{ name: EXISTING, partitionIndexes: [0] }], coordinatorEpoch: 0 }] })).markers[0].topics[0].partitions[0].errorCode },
  { name: 'CreateTopics (cluster CREATE)', on: 'cluster', ops: [Op.CREATE], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(CreateTopicsFacts, 7, { topics: [{ name: MISSING, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: true })).topics[0].errorCode },
  { name: 'DescribeConfigs (broker)', on: 'cluster', ops: [Op.DESCRIBE_CONFIGS], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeConfigsFacts, 4, { resources: [{ resourceType: 4, resourceName: '1', configurationKeys: ['log.retention.ms'] }], includeSynonyms: false, includeDocumentation: false })).results[0].errorCode },
  { name: 'IncrementalAlterConfigs (broker)', on: 'cluster', ops: [Op.ALTER_CONFIGS], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(IncrementalAlterConfigsFacts, 1, { resources: [{ resourceType: 4, resourceName: '', configs: [{ name: 'log.retention.ms', configOperation: 0, value: '1000000' }] }], validateOnly: true })).responses[0].errorCode },
  { name: 'DescribeUserScramCredentials', on: 'cluster', ops: [Op.DESCRIBE], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeUserScramCredentialsFacts, 0, { users: null })).errorCode },
  { name: 'AlterUserScramCredentials', on: 'cluster', ops: [Op.ALTER], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(AlterUserScramCredentialsFacts, 0, { deletions: [{ name: 'nobody', mechanism: 1 }], upsertions: [] })).results[0].errorCode },
  { name: 'DescribeClientQuotas', on: 'cluster', ops: [Op.DESCRIBE_CONFIGS], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeClientQuotasFacts, 1, { components: [], strict: false })).errorCode },
  { name: 'AlterClientQuotas', on: 'cluster', ops: [Op.ALTER_CONFIGS], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(AlterClientQuotasFacts, 1, { entries: [{ entity: [{ entityType: 'user', entityName: 'x' }], ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }] }], validateOnly: true })).entries[0].errorCode },
  { name: 'OffsetForLeaderEpoch (replica)', on: 'cluster', ops: [Op.CLUSTER_ACTION], refused: E.TOPIC_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(OffsetForLeaderEpochFacts, 4, { replicaId: 2, topics: [{ topic: EXISTING, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] })).topics[0].partitions[0].errorCode },
  { name: 'ElectLeaders', on: 'cluster', ops: [Op.ALTER], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => {
      const r = await alice.request(ElectLeadersFacts, 2, { electionType: 0, topicPartitions: [{ topic: EXISTING, partitions: [0] }], timeoutMs: 5000 });
      const partition = r.replicaElectionResults[0].partitionResult[0].errorCode;
      // Kafka refuses at the top and on every partition alike.
      if (partition === E.CLUSTER_AUTHORIZATION_FAILED) expect(r.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
      return partition;
    } },
  { name: 'AlterPartitionReassignments', on: 'cluster', ops: [Op.ALTER], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => {
      const r = await alice.request(AlterPartitionReassignmentsFacts, 0, { timeoutMs: 5000, topics: [{ name: EXISTING, partitions: [{ partitionIndex: 0, replicas: null }] }] });
      const partition = r.responses[0].partitions[0].errorCode;
      if (partition === E.CLUSTER_AUTHORIZATION_FAILED) expect(r.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
      return partition;
    } },
  { name: 'ListPartitionReassignments', on: 'cluster', ops: [Op.DESCRIBE], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(ListPartitionReassignmentsFacts, 0, { timeoutMs: 5000, topics: null })).errorCode },
  { name: 'DescribeLogDirs', on: 'cluster', ops: [Op.DESCRIBE], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => {
      const r = await alice.request(DescribeLogDirsFacts, 4, { topics: null });
      if (r.errorCode === E.CLUSTER_AUTHORIZATION_FAILED) expect(r.results).toEqual([]);
      else expect(r.results.length).toBe(1);
      return r.errorCode;
    } },
  { name: 'DescribeAcls', on: 'cluster', ops: [Op.DESCRIBE], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DescribeAclsFacts, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).errorCode },
  { name: 'CreateAcls', on: 'cluster', ops: [Op.ALTER], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(CreateAclsFacts, 3, { creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] })).results[0].errorCode },
  { name: 'DeleteAcls', on: 'cluster', ops: [Op.ALTER], refused: E.CLUSTER_AUTHORIZATION_FAILED,
    send: async () => (await alice.request(DeleteAclsFacts, 3, { filters: [{ resourceTypeFilter: 2, resourceNameFilter: 'x', patternTypeFilter: 3, principalFilter: 'User:x', hostFilter: null, operation: 1, permissionType: 1 }] })).filterResults[0].errorCode },
];

function onResource(c: Case, t: string, op: number, perm?: number): AclBinding {
  switch (c.on) {
    case 'topic': return topic(op, t, perm);
    case 'group': return group(op, perm);
    case 'txn': return txn(op, perm);
    case 'cluster': return cluster(op, perm);
  }
}

beforeAll(async () => {
  b = await startTestBroker({ config: standardAuthorizerConfig('SASL_PLAINTEXT://127.0.0.1:0,PLAINTEXT://127.0.0.1:0') });
  authorizer = b.broker.context.authorizer!;
  expect(authorizer).toBeDefined();
  alice = await saslPlain(b.port, 'alice', 'alice-secret');
  // Record which APIs the tests exercise, so the last test can check none of the served ones is missing.
  const send = alice.request.bind(alice);
  alice.request = ((...args: Parameters<RawClient['request']>) => {
    const api = args[0];
    exercised.add(typeof api === 'number' ? api : api.key);
    return send(...args);
  }) as RawClient['request'];
}, 60_000);
const exercised = new Set<number>();
afterAll(async () => {
  alice?.close();
  await closeAll();
});

beforeEach(async () => {
  if (!b.broker.context.logs.getTopic(EXISTING)) await b.broker.context.logs.createTopic(EXISTING, { partitions: 1 });
});

describe('authorization table: every served API × no ACL / only DESCRIBE / the required ACL / a DENY', () => {
  for (const c of cases) {
    const names = c.on === 'topic' ? [EXISTING, MISSING] : [EXISTING];
    for (const t of names) {
      const label = c.on === 'topic' ? `${c.name} on ${t === EXISTING ? 'an existing' : 'a missing'} topic` : c.name;
      it(label, async () => {
        const context = c.context?.(t) ?? [];
        const observed: Record<string, number> = {};
        await grant(...context);
        observed.none = await c.send(t);
        if (!c.ops.includes(Op.DESCRIBE)) {
          await grant(...context, onResource(c, t, Op.DESCRIBE));
          observed.describeOnly = await c.send(t);
        }
        await grant(...context, ...c.ops.map((op) => onResource(c, t, op)));
        observed.required = await c.send(t);
        await grant(...context, ...c.ops.map((op) => onResource(c, t, op)), onResource(c, t, c.ops[0]!, Perm.DENY));
        observed.denied = await c.send(t);
        // Missing and existing topics are refused alike; once allowed, a missing topic is UNKNOWN_TOPIC_OR_PARTITION.
        const expected: Record<string, number | 'allowed'> = { none: c.refused, required: 'allowed', denied: c.refused };
        if ('describeOnly' in observed) expected.describeOnly = c.refused;
        const shown = Object.fromEntries(Object.entries(observed).map(([k, v]) => [k, expected[k] === 'allowed' ? (v === c.refused ? `refused (${v})` : 'allowed') : v]));
        expect(shown).toEqual(expected);
        // (CreateTopics creates it; OffsetFetch/OffsetDelete answer a missing topic without an error, as the coordinator does today.)
        if (c.on === 'topic' && t === MISSING && c.name !== 'CreateTopics' && !c.name.startsWith('OffsetFetch') && !c.name.startsWith('OffsetDelete')) {
          expect(observed.required).toBe(E.UNKNOWN_TOPIC_OR_PARTITION);
        }
      });
    }
  }
});

describe('filtering and implied operations', () => {
  it('Metadata for all topics lists only what the principal may DESCRIBE; READ implies DESCRIBE; auto-creation needs CREATE', async () => {
    await b.broker.context.logs.createTopic('acl-other', { partitions: 1 }).catch(() => {});
    await grant(topic(Op.READ, EXISTING));
    const all = await alice.request(MetadataFacts, 9, { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true });
    expect(all.topics.map((t: { name: string }) => t.name)).toEqual([EXISTING]);
    // READ (3) and the DESCRIBE (8) it implies; no cluster DESCRIBE → 0 cluster operations.
    expect(all.topics[0].topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
    expect(all.clusterAuthorizedOperations).toBe(0);
    const auto = async () => (await alice.request(MetadataFacts, 9, { topics: [{ name: 'acl-auto' }], allowAutoTopicCreation: true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false })).topics[0].errorCode;
    await grant(topic(Op.DESCRIBE, 'acl-auto'));
    expect(await auto()).toBe(E.TOPIC_AUTHORIZATION_FAILED);
    expect(b.broker.context.logs.getTopic('acl-auto')).toBeUndefined();
    await grant(topic(Op.DESCRIBE, 'acl-auto'), topic(Op.CREATE, 'acl-auto'));
    expect(await auto()).toBe(E.NONE);
    expect(b.broker.context.logs.getTopic('acl-auto')).toBeDefined();
  });

  it('DescribeLogDirs v0-2 (no top-level error code) answer a refusal with no log dirs', async () => {
    const dirs = async () => (await alice.request(DescribeLogDirsFacts, 1, { topics: null })).results.length;
    await grant();
    expect(await dirs()).toBe(0);
    await grant(cluster(Op.DESCRIBE));
    expect(await dirs()).toBe(1);
  });

  it('OffsetForLeaderEpoch answers each topic by its own ACL; ListPartitionReassignments echoes the requested partitions when refused', async () => {
    await b.broker.context.logs.createTopic('acl-other', { partitions: 1 }).catch(() => {});
    await grant(topic(Op.DESCRIBE, EXISTING));
    const r = await alice.request(OffsetForLeaderEpochFacts, 4, { replicaId: -1, topics: [EXISTING, 'acl-other'].map((t) => ({ topic: t, partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] })) });
    expect(r.topics.map((t: { topic: string; partitions: { errorCode: number }[] }) => [t.topic, t.partitions[0]!.errorCode])).toEqual([[EXISTING, E.NONE], ['acl-other', E.TOPIC_AUTHORIZATION_FAILED]]);
    const l = await alice.request(ListPartitionReassignmentsFacts, 0, { timeoutMs: 5000, topics: [{ name: EXISTING, partitionIndexes: [0] }] });
    expect(l.errorCode).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
    expect(l.topics).toEqual([{ name: EXISTING, partitions: [{ partitionIndex: 0, replicas: [], addingReplicas: [], removingReplicas: [] }] }]);
  });

  it('ListGroups: all groups with DESCRIBE on the cluster, else those the principal may DESCRIBE', async () => {
    const admin = await saslPlain(b.port, 'admin', 'admin-secret');
    for (const g of ['lg-a', 'lg-b']) {
      await admin.request(JoinGroupFacts, 5, { groupId: g, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: 'x', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }).catch(() => {});
      await admin.request(OffsetCommitFacts, 8, { groupId: g, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, topics: [{ name: EXISTING, partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' }] }] });
    }
    admin.close();
    const list = async () => (await alice.request(ListGroupsFacts, 4, { statesFilter: [] })).groups.map((g: { groupId: string }) => g.groupId).filter((g: string) => g.startsWith('lg-')).sort();
    await grant();
    expect(await list()).toEqual([]);
    await grant(acl(Res.GROUP, 'lg-a', Op.DESCRIBE));
    expect(await list()).toEqual(['lg-a']);
    await grant(cluster(Op.DESCRIBE));
    expect(await list()).toEqual(['lg-a', 'lg-b']);
  });

  it('an idempotent producer may also init with WRITE on some topic (not shadowed by a DENY)', async () => {
    const init = async () => (await alice.request(InitProducerIdFacts, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode;
    await grant(topic(Op.WRITE, EXISTING));
    expect(await init()).toBe(E.NONE);
    await grant(topic(Op.WRITE, EXISTING), { ...topic(Op.WRITE, 'acl-', Perm.DENY), patternType: PatternType.PREFIXED });
    expect(await init()).toBe(E.CLUSTER_AUTHORIZATION_FAILED);
  });

  it('the ACL APIs answer SECURITY_DISABLED on a broker without an authorizer, and INVALID_REQUEST for a bad binding', async () => {
    const plain = await startTestBroker();
    const c = await RawClient.connect(plain.port);
    expect((await c.request(DescribeAclsFacts, 3, { resourceTypeFilter: 1, resourceNameFilter: null, patternTypeFilter: 1, principalFilter: null, hostFilter: null, operation: 1, permissionType: 1 })).errorCode).toBe(E.SECURITY_DISABLED);
    expect((await c.request(CreateAclsFacts, 3, { creations: [{ resourceType: 2, resourceName: 'x', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 3, permissionType: 3 }] })).results[0].errorCode).toBe(E.SECURITY_DISABLED);
    c.close();
    await grant(cluster(Op.ALTER));
    const r = await alice.request(CreateAclsFacts, 3, { creations: [{ resourceType: 4, resourceName: 'not-the-cluster', resourcePatternType: 3, principal: 'User:x', host: '*', operation: 7, permissionType: 3 }] });
    expect(r.results[0]).toEqual({ errorCode: E.INVALID_REQUEST, errorMessage: 'The only valid name for the CLUSTER resource is kafka-cluster' });
  });

  it('ListTransactions lists only transactional ids the principal may DESCRIBE; DescribeCluster reports authorized operations from the ACLs', async () => {
    const admin = await saslPlain(b.port, 'admin', 'admin-secret');
    for (const id of ['lt-a', 'lt-b']) expect((await admin.request(InitProducerIdFacts, 4, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 })).errorCode).toBe(0);
    admin.close();
    const list = async () => (await alice.request(ListTransactionsFacts, 1, { stateFilters: [], producerIdFilters: [], durationFilter: -1n })).transactionStates.map((t: { transactionalId: string }) => t.transactionalId).filter((id: string) => id.startsWith('lt-')).sort();
    await grant();
    expect(await list()).toEqual([]);
    await grant(acl(Res.TRANSACTIONAL_ID, 'lt-b', Op.WRITE));
    expect(await list()).toEqual(['lt-b']);
    const ops = async () => (await alice.request(DescribeClusterFacts, 0, { includeClusterAuthorizedOperations: true })).clusterAuthorizedOperations;
    expect(await ops()).toBe(0);
    await grant(cluster(Op.DESCRIBE), cluster(Op.IDEMPOTENT_WRITE));
    expect(await ops()).toBe((1 << Op.DESCRIBE) | (1 << Op.IDEMPOTENT_WRITE));
  });
});

describe('coverage', () => {
  it('every API the broker serves was exercised above, except those Kafka authorizes nothing for', () => {
    const exempt = new Set([17, 18, 36]); // SaslHandshake, ApiVersions, SaslAuthenticate
    const missing = handlers.map((h) => h.api).filter((api) => !exempt.has(api.key) && !exercised.has(api.key)).map((api) => api.name);
    expect(missing).toEqual([]);
  });
});
