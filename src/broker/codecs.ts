/**
 * Codecs of the APIs the broker serves, imported module by module. The generated index
 * (src/protocol/messages/index.ts) holds every Kafka API — about 90 modules — and importing it costs
 * start-up time the broker never uses; this table pulls in only the ~25 it answers. The entries are
 * the generated functions themselves, and test/broker/codecs.test.ts checks every one (and each
 * flexible-version boundary) against the index, so the two cannot drift.
 *
 * Serving a new API: add its handler to handlers/index.ts and its codec here (createDispatcher
 * refuses to start with a handler that has no codec, naming the api key).
 */
import type { Reader } from '../protocol/primitives/reader.ts';
import type { Writer } from '../protocol/primitives/writer.ts';
import { decodeProduceRequest, encodeProduceResponse } from '../protocol/messages/produce.ts';
import { decodeFetchRequest, encodeFetchResponse } from '../protocol/messages/fetch.ts';
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from '../protocol/messages/list-offsets.ts';
import { decodeMetadataRequest, encodeMetadataResponse } from '../protocol/messages/metadata.ts';
import { decodeOffsetCommitRequest, encodeOffsetCommitResponse } from '../protocol/messages/offset-commit.ts';
import { decodeOffsetFetchRequest, encodeOffsetFetchResponse } from '../protocol/messages/offset-fetch.ts';
import { decodeFindCoordinatorRequest, encodeFindCoordinatorResponse } from '../protocol/messages/find-coordinator.ts';
import { decodeJoinGroupRequest, encodeJoinGroupResponse } from '../protocol/messages/join-group.ts';
import { decodeHeartbeatRequest, encodeHeartbeatResponse } from '../protocol/messages/heartbeat.ts';
import { decodeLeaveGroupRequest, encodeLeaveGroupResponse } from '../protocol/messages/leave-group.ts';
import { decodeSyncGroupRequest, encodeSyncGroupResponse } from '../protocol/messages/sync-group.ts';
import { decodeDescribeGroupsRequest, encodeDescribeGroupsResponse } from '../protocol/messages/describe-groups.ts';
import { decodeListGroupsRequest, encodeListGroupsResponse } from '../protocol/messages/list-groups.ts';
import { decodeApiVersionsRequest, encodeApiVersionsResponse } from '../protocol/messages/api-versions.ts';
import { decodeCreateTopicsRequest, encodeCreateTopicsResponse } from '../protocol/messages/create-topics.ts';
import { decodeDeleteTopicsRequest, encodeDeleteTopicsResponse } from '../protocol/messages/delete-topics.ts';
import { decodeDeleteRecordsRequest, encodeDeleteRecordsResponse } from '../protocol/messages/delete-records.ts';
import { decodeInitProducerIdRequest, encodeInitProducerIdResponse } from '../protocol/messages/init-producer-id.ts';
import { decodeDescribeConfigsRequest, encodeDescribeConfigsResponse } from '../protocol/messages/describe-configs.ts';
import { decodeAlterConfigsRequest, encodeAlterConfigsResponse } from '../protocol/messages/alter-configs.ts';
import { decodeCreatePartitionsRequest, encodeCreatePartitionsResponse } from '../protocol/messages/create-partitions.ts';
import { decodeDeleteGroupsRequest, encodeDeleteGroupsResponse } from '../protocol/messages/delete-groups.ts';
import { decodeIncrementalAlterConfigsRequest, encodeIncrementalAlterConfigsResponse } from '../protocol/messages/incremental-alter-configs.ts';
import { decodeOffsetDeleteRequest, encodeOffsetDeleteResponse } from '../protocol/messages/offset-delete.ts';
import { decodeDescribeClusterRequest, encodeDescribeClusterResponse } from '../protocol/messages/describe-cluster.ts';
import { decodeSaslHandshakeRequest, encodeSaslHandshakeResponse } from '../protocol/messages/sasl-handshake.ts';
import { decodeSaslAuthenticateRequest, encodeSaslAuthenticateResponse } from '../protocol/messages/sasl-authenticate.ts';
import { decodeDescribeUserScramCredentialsRequest, encodeDescribeUserScramCredentialsResponse } from '../protocol/messages/describe-user-scram-credentials.ts';
import { decodeAlterUserScramCredentialsRequest, encodeAlterUserScramCredentialsResponse } from '../protocol/messages/alter-user-scram-credentials.ts';

export interface ServedCodec {
  /** First flexible version (compact encodings, tagged fields, request header v2 / response header v1). */
  readonly flexibleMinVersion: number;
  decodeRequest(r: Reader, version: number): any;
  encodeResponse(w: Writer, msg: any, version: number): void;
}

/** No flexible version at all. */
const NEVER = Number.POSITIVE_INFINITY;

const codec = (
  flexibleMinVersion: number,
  decodeRequest: (r: Reader, version: number) => any,
  encodeResponse: (w: Writer, msg: any, version: number) => void,
): ServedCodec => ({ flexibleMinVersion, decodeRequest, encodeResponse });

export const SERVED_CODECS: Readonly<Record<number, ServedCodec>> = {
  0: codec(9, decodeProduceRequest, encodeProduceResponse), // Produce
  1: codec(12, decodeFetchRequest, encodeFetchResponse), // Fetch
  2: codec(6, decodeListOffsetsRequest, encodeListOffsetsResponse), // ListOffsets
  3: codec(9, decodeMetadataRequest, encodeMetadataResponse), // Metadata
  8: codec(8, decodeOffsetCommitRequest, encodeOffsetCommitResponse), // OffsetCommit
  9: codec(6, decodeOffsetFetchRequest, encodeOffsetFetchResponse), // OffsetFetch
  10: codec(3, decodeFindCoordinatorRequest, encodeFindCoordinatorResponse), // FindCoordinator
  11: codec(6, decodeJoinGroupRequest, encodeJoinGroupResponse), // JoinGroup
  12: codec(4, decodeHeartbeatRequest, encodeHeartbeatResponse), // Heartbeat
  13: codec(4, decodeLeaveGroupRequest, encodeLeaveGroupResponse), // LeaveGroup
  14: codec(4, decodeSyncGroupRequest, encodeSyncGroupResponse), // SyncGroup
  15: codec(5, decodeDescribeGroupsRequest, encodeDescribeGroupsResponse), // DescribeGroups
  16: codec(3, decodeListGroupsRequest, encodeListGroupsResponse), // ListGroups
  17: codec(NEVER, decodeSaslHandshakeRequest, encodeSaslHandshakeResponse), // SaslHandshake
  18: codec(3, decodeApiVersionsRequest, encodeApiVersionsResponse), // ApiVersions
  19: codec(5, decodeCreateTopicsRequest, encodeCreateTopicsResponse), // CreateTopics
  20: codec(4, decodeDeleteTopicsRequest, encodeDeleteTopicsResponse), // DeleteTopics
  21: codec(2, decodeDeleteRecordsRequest, encodeDeleteRecordsResponse), // DeleteRecords
  22: codec(2, decodeInitProducerIdRequest, encodeInitProducerIdResponse), // InitProducerId
  32: codec(4, decodeDescribeConfigsRequest, encodeDescribeConfigsResponse), // DescribeConfigs
  33: codec(2, decodeAlterConfigsRequest, encodeAlterConfigsResponse), // AlterConfigs
  36: codec(2, decodeSaslAuthenticateRequest, encodeSaslAuthenticateResponse), // SaslAuthenticate
  50: codec(0, decodeDescribeUserScramCredentialsRequest, encodeDescribeUserScramCredentialsResponse), // DescribeUserScramCredentials
  51: codec(0, decodeAlterUserScramCredentialsRequest, encodeAlterUserScramCredentialsResponse), // AlterUserScramCredentials
  37: codec(2, decodeCreatePartitionsRequest, encodeCreatePartitionsResponse), // CreatePartitions
  42: codec(2, decodeDeleteGroupsRequest, encodeDeleteGroupsResponse), // DeleteGroups
  44: codec(1, decodeIncrementalAlterConfigsRequest, encodeIncrementalAlterConfigsResponse), // IncrementalAlterConfigs
  47: codec(NEVER, decodeOffsetDeleteRequest, encodeOffsetDeleteResponse), // OffsetDelete
  60: codec(0, decodeDescribeClusterRequest, encodeDescribeClusterResponse), // DescribeCluster
};
