import { ErrorCode } from '../../protocol/error-codes.ts';
import { DescribeClusterApi, type DescribeClusterRequest, type DescribeClusterResponseInput } from '../../protocol/messages/describe-cluster.ts';
import { advertisedEndpoint, type ApiHandler, type RequestContext } from '../handler.ts';
import { clusterAuthorizedOperations } from './metadata.ts';

/**
 * DescribeCluster (60), v0–1: the cluster id, this node as the only broker and as the controller
 * (cluster mode: every live broker and the elected controller).
 * Endpoint type 1 (brokers) and 2 (controllers) both list this node: it is both.
 */
export const describeCluster: ApiHandler<typeof DescribeClusterApi> = {
  api: DescribeClusterApi,
  minVersion: 0,
  maxVersion: 1,
  handle(req: DescribeClusterRequest, ctx: RequestContext): DescribeClusterResponseInput {
    const b = ctx.broker;
    if (b.cluster) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        endpointType: ctx.apiVersion >= 1 ? req.endpointType : 1,
        clusterId: b.clusterId,
        controllerId: b.cluster.controllerId,
        brokers: b.cluster.brokersFor(ctx.connection.listener?.name).map(({ nodeId, ...x }) => ({ brokerId: nodeId, ...x })),
        clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : -2147483648,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: ctx.apiVersion >= 1 ? req.endpointType : 1,
      clusterId: b.clusterId,
      controllerId: b.nodeId,
      brokers: [{ brokerId: b.nodeId, ...advertisedEndpoint(ctx), rack: null }],
      clusterAuthorizedOperations: req.includeClusterAuthorizedOperations ? clusterAuthorizedOperations(ctx) : -2147483648,
    };
  },
  errorResponse(_req: DescribeClusterRequest, errorCode: number, ctx: RequestContext) {
    return { throttleTimeMs: 0, errorCode, errorMessage: 'internal error', clusterId: ctx.broker.clusterId, brokers: [] };
  },
};
