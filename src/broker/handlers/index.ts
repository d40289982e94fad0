import type { ApiHandler } from '../handler.ts';
import { alterConfigs } from './alter-configs.ts';
import { apiVersions } from './api-versions.ts';
import { createPartitions } from './create-partitions.ts';
import { createTopics } from './create-topics.ts';
import { deleteRecords } from './delete-records.ts';
import { deleteTopics } from './delete-topics.ts';
import { describeCluster } from './describe-cluster.ts';
import { describeConfigs } from './describe-configs.ts';
import { fetch } from './fetch.ts';
import { incrementalAlterConfigs } from './incremental-alter-configs.ts';
import { listOffsets } from './list-offsets.ts';
import { metadata } from './metadata.ts';
import { electLeaders } from './elect-leaders.ts';
import { alterPartitionReassignments } from './alter-partition-reassignments.ts';
import { listPartitionReassignments } from './list-partition-reassignments.ts';
import { describeLogDirs } from './describe-log-dirs.ts';
import { produce } from './produce.ts';
import { saslAuthenticate } from './sasl-authenticate.ts';
import { saslHandshake } from './sasl-handshake.ts';
import { deleteGroups } from './delete-groups.ts';
import { describeGroups } from './describe-groups.ts';
import { findCoordinator } from './find-coordinator.ts';
import { heartbeat } from './heartbeat.ts';
import { initProducerId } from './init-producer-id.ts';
import { joinGroup } from './join-group.ts';
import { leaveGroup } from './leave-group.ts';
import { listGroups } from './list-groups.ts';
import { offsetCommit } from './offset-commit.ts';
import { offsetDelete } from './offset-delete.ts';
import { offsetFetch } from './offset-fetch.ts';
import { syncGroup } from './sync-group.ts';
import { addOffsetsToTxn } from './add-offsets-to-txn.ts';
import { addPartitionsToTxn } from './add-partitions-to-txn.ts';
import { describeProducers } from './describe-producers.ts';
import { describeTransactions } from './describe-transactions.ts';
import { endTxn } from './end-txn.ts';
import { listTransactions } from './list-transactions.ts';
import { txnOffsetCommit } from './txn-offset-commit.ts';
import { writeTxnMarkers } from './write-txn-markers.ts';
import { describeUserScramCredentials } from './describe-user-scram-credentials.ts';
import { alterUserScramCredentials } from './alter-user-scram-credentials.ts';
import { offsetForLeaderEpoch } from './offset-for-leader-epoch.ts';
import { describeClientQuotas } from './describe-client-quotas.ts';
import { alterClientQuotas } from './alter-client-quotas.ts';
import { createAcls } from './create-acls.ts';
import { describeAcls } from './describe-acls.ts';
import { deleteAcls } from './delete-acls.ts';

/**
 * The handler table: the single list of what the broker serves. ApiVersions answers from this
 * list, so adding an API here is all it takes to advertise it. One file per API, named for it.
 *
 * Group, offset and producer-id handlers (find-coordinator, join-group, …) are added here too.
 */
export const handlers: ApiHandler[] = [
  produce,
  fetch,
  listOffsets,
  metadata,
  apiVersions,
  createTopics,
  deleteTopics,
  deleteRecords,
  describeConfigs,
  alterConfigs,
  createPartitions,
  incrementalAlterConfigs,
  describeCluster,
  saslHandshake,
  saslAuthenticate,
  // Groups, offsets, producer ids (H4).
  offsetCommit,
  offsetFetch,
  findCoordinator,
  joinGroup,
  heartbeat,
  leaveGroup,
  syncGroup,
  describeGroups,
  listGroups,
  initProducerId,
  deleteGroups,
  offsetDelete,
  // Transactions (issue 15).
  addPartitionsToTxn,
  addOffsetsToTxn,
  endTxn,
  txnOffsetCommit,
  describeTransactions,
  listTransactions,
  describeProducers,
  writeTxnMarkers,
  describeUserScramCredentials,
  alterUserScramCredentials,
  // Cluster administration (issue 18).
  electLeaders,
  alterPartitionReassignments,
  listPartitionReassignments,
  describeLogDirs,
  // Replication (issue 18).
  offsetForLeaderEpoch,
  // Client quotas (issue 19).
  describeClientQuotas,
  alterClientQuotas,
  // Authorization (issue 19).
  describeAcls,
  createAcls,
  deleteAcls,
];
