import { lazyHandler, type ServedApi } from '../handler-table.ts';
import {
  AddOffsetsToTxnFacts,
  AddPartitionsToTxnFacts,
  AlterClientQuotasFacts,
  AlterConfigsFacts,
  AlterPartitionReassignmentsFacts,
  AlterUserScramCredentialsFacts,
  CreateAclsFacts,
  CreatePartitionsFacts,
  CreateTopicsFacts,
  DeleteAclsFacts,
  DeleteGroupsFacts,
  DeleteRecordsFacts,
  DeleteTopicsFacts,
  DescribeAclsFacts,
  DescribeClientQuotasFacts,
  DescribeClusterFacts,
  DescribeConfigsFacts,
  DescribeGroupsFacts,
  DescribeLogDirsFacts,
  DescribeProducersFacts,
  DescribeTransactionsFacts,
  DescribeUserScramCredentialsFacts,
  ElectLeadersFacts,
  EndTxnFacts,
  FindCoordinatorFacts,
  HeartbeatFacts,
  IncrementalAlterConfigsFacts,
  InitProducerIdFacts,
  JoinGroupFacts,
  LeaveGroupFacts,
  ListGroupsFacts,
  ListOffsetsFacts,
  ListPartitionReassignmentsFacts,
  ListTransactionsFacts,
  OffsetCommitFacts,
  OffsetDeleteFacts,
  OffsetFetchFacts,
  OffsetForLeaderEpochFacts,
  SaslAuthenticateFacts,
  SaslHandshakeFacts,
  SyncGroupFacts,
  TxnOffsetCommitFacts,
  WriteTxnMarkersFacts,
} from '../../protocol/messages/api-facts.ts';
import { apiVersions } from './api-versions.ts';
import { fetch } from './fetch.ts';
import { metadata } from './metadata.ts';
import { produce } from './produce.ts';

/**
 * The handler table: the single list of what the broker serves. ApiVersions answers from this
 * list, so adding an API here is all it takes to advertise it. One file per API, named for it.
 *
 * Produce, Fetch, Metadata and ApiVersions are imported with the broker: every client sends them
 * first, and they share their modules (storage reads, record batches) with start-up anyway. Every
 * other handler is a lazy entry: its key and versions are known from the codec-free facts, and its
 * module — with the codecs and machinery only it uses — is imported on the first request for it
 * (handler-table.ts). The versions written here must be the handler's own (a test checks each).
 */
export const handlers: readonly ServedApi[] = [
  produce,
  fetch,
  lazyHandler(ListOffsetsFacts, { min: 0, max: 9 }, () => import('./list-offsets.ts').then((m) => m.listOffsets)),
  metadata,
  apiVersions,
  lazyHandler(CreateTopicsFacts, { min: 0, max: 7 }, () => import('./create-topics.ts').then((m) => m.createTopics)),
  lazyHandler(DeleteTopicsFacts, { min: 0, max: 6 }, () => import('./delete-topics.ts').then((m) => m.deleteTopics)),
  lazyHandler(DeleteRecordsFacts, { min: 0, max: 2 }, () => import('./delete-records.ts').then((m) => m.deleteRecords)),
  lazyHandler(DescribeConfigsFacts, { min: 0, max: 4 }, () => import('./describe-configs.ts').then((m) => m.describeConfigs)),
  lazyHandler(AlterConfigsFacts, { min: 0, max: 2 }, () => import('./alter-configs.ts').then((m) => m.alterConfigs)),
  lazyHandler(CreatePartitionsFacts, { min: 0, max: 3 }, () => import('./create-partitions.ts').then((m) => m.createPartitions)),
  lazyHandler(IncrementalAlterConfigsFacts, { min: 0, max: 1 }, () => import('./incremental-alter-configs.ts').then((m) => m.incrementalAlterConfigs)),
  lazyHandler(DescribeClusterFacts, { min: 0, max: 1 }, () => import('./describe-cluster.ts').then((m) => m.describeCluster)),
  lazyHandler(SaslHandshakeFacts, { min: 0, max: 1 }, () => import('./sasl-handshake.ts').then((m) => m.saslHandshake)),
  lazyHandler(SaslAuthenticateFacts, { min: 0, max: 2 }, () => import('./sasl-authenticate.ts').then((m) => m.saslAuthenticate)),
  // Groups, offsets, producer ids.
  lazyHandler(OffsetCommitFacts, { min: 0, max: 9 }, () => import('./offset-commit.ts').then((m) => m.offsetCommit)),
  lazyHandler(OffsetFetchFacts, { min: 0, max: 9 }, () => import('./offset-fetch.ts').then((m) => m.offsetFetch)),
  lazyHandler(FindCoordinatorFacts, { min: 0, max: 6 }, () => import('./find-coordinator.ts').then((m) => m.findCoordinator)),
  lazyHandler(JoinGroupFacts, { min: 0, max: 9 }, () => import('./join-group.ts').then((m) => m.joinGroup)),
  lazyHandler(HeartbeatFacts, { min: 0, max: 4 }, () => import('./heartbeat.ts').then((m) => m.heartbeat)),
  lazyHandler(LeaveGroupFacts, { min: 0, max: 5 }, () => import('./leave-group.ts').then((m) => m.leaveGroup)),
  lazyHandler(SyncGroupFacts, { min: 0, max: 5 }, () => import('./sync-group.ts').then((m) => m.syncGroup)),
  lazyHandler(DescribeGroupsFacts, { min: 0, max: 5 }, () => import('./describe-groups.ts').then((m) => m.describeGroups)),
  lazyHandler(ListGroupsFacts, { min: 0, max: 5 }, () => import('./list-groups.ts').then((m) => m.listGroups)),
  lazyHandler(InitProducerIdFacts, { min: 0, max: 5 }, () => import('./init-producer-id.ts').then((m) => m.initProducerId)),
  lazyHandler(DeleteGroupsFacts, { min: 0, max: 2 }, () => import('./delete-groups.ts').then((m) => m.deleteGroups)),
  lazyHandler(OffsetDeleteFacts, { min: 0, max: 0 }, () => import('./offset-delete.ts').then((m) => m.offsetDelete)),
  // Transactions (issue 15).
  lazyHandler(AddPartitionsToTxnFacts, { min: 0, max: 5 }, () => import('./add-partitions-to-txn.ts').then((m) => m.addPartitionsToTxn)),
  lazyHandler(AddOffsetsToTxnFacts, { min: 0, max: 4 }, () => import('./add-offsets-to-txn.ts').then((m) => m.addOffsetsToTxn)),
  lazyHandler(EndTxnFacts, { min: 0, max: 4 }, () => import('./end-txn.ts').then((m) => m.endTxn)),
  lazyHandler(TxnOffsetCommitFacts, { min: 0, max: 4 }, () => import('./txn-offset-commit.ts').then((m) => m.txnOffsetCommit)),
  lazyHandler(DescribeTransactionsFacts, { min: 0, max: 0 }, () => import('./describe-transactions.ts').then((m) => m.describeTransactions)),
  lazyHandler(ListTransactionsFacts, { min: 0, max: 1 }, () => import('./list-transactions.ts').then((m) => m.listTransactions)),
  lazyHandler(DescribeProducersFacts, { min: 0, max: 0 }, () => import('./describe-producers.ts').then((m) => m.describeProducers)),
  lazyHandler(WriteTxnMarkersFacts, { min: 0, max: 1 }, () => import('./write-txn-markers.ts').then((m) => m.writeTxnMarkers)),
  lazyHandler(DescribeUserScramCredentialsFacts, { min: 0, max: 0 }, () => import('./describe-user-scram-credentials.ts').then((m) => m.describeUserScramCredentials)),
  lazyHandler(AlterUserScramCredentialsFacts, { min: 0, max: 0 }, () => import('./alter-user-scram-credentials.ts').then((m) => m.alterUserScramCredentials)),
  // Cluster administration (issue 18).
  lazyHandler(ElectLeadersFacts, { min: 0, max: 2 }, () => import('./elect-leaders.ts').then((m) => m.electLeaders)),
  lazyHandler(AlterPartitionReassignmentsFacts, { min: 0, max: 0 }, () => import('./alter-partition-reassignments.ts').then((m) => m.alterPartitionReassignments)),
  lazyHandler(ListPartitionReassignmentsFacts, { min: 0, max: 0 }, () => import('./list-partition-reassignments.ts').then((m) => m.listPartitionReassignments)),
  lazyHandler(DescribeLogDirsFacts, { min: 0, max: 4 }, () => import('./describe-log-dirs.ts').then((m) => m.describeLogDirs)),
  // Replication (issue 18).
  lazyHandler(OffsetForLeaderEpochFacts, { min: 0, max: 4 }, () => import('./offset-for-leader-epoch.ts').then((m) => m.offsetForLeaderEpoch)),
  // Client quotas (issue 19).
  lazyHandler(DescribeClientQuotasFacts, { min: 0, max: 1 }, () => import('./describe-client-quotas.ts').then((m) => m.describeClientQuotas)),
  lazyHandler(AlterClientQuotasFacts, { min: 0, max: 1 }, () => import('./alter-client-quotas.ts').then((m) => m.alterClientQuotas)),
  // Authorization (issue 19).
  lazyHandler(DescribeAclsFacts, { min: 0, max: 3 }, () => import('./describe-acls.ts').then((m) => m.describeAcls)),
  lazyHandler(CreateAclsFacts, { min: 0, max: 3 }, () => import('./create-acls.ts').then((m) => m.createAcls)),
  lazyHandler(DeleteAclsFacts, { min: 0, max: 3 }, () => import('./delete-acls.ts').then((m) => m.deleteAcls)),
];
