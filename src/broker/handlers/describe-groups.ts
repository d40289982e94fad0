import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupCoordinator } from '../../coordinator/group-coordinator.ts';
import { DescribeGroupsApi, type DescribeGroupsResponseInput } from '../../protocol/messages/describe-groups.ts';
import type { ApiHandler } from '../handler.ts';
import { allowedNames, authorizedOperations, Op, Res } from '../authorize.ts';

/** "Not requested" in authorizedOperations. */
const OPS_OMITTED = -2147483648;
/** The operations a group supports (KIP-430): READ, DELETE, DESCRIBE. */
const GROUP_OPS = [Op.READ, Op.DELETE, Op.DESCRIBE];

/**
 * DescribeGroups (15) v0–5: state, protocol, members with client id/host; metadata and assignments
 * only for a Stable group (as Kafka). Unknown groups are described as Dead with no error.
 */
export const describeGroups: ApiHandler<typeof DescribeGroupsApi> = {
  api: DescribeGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const v = ctx.apiVersion;
    const gc = ctx.broker.coordinator as GroupCoordinator | undefined;
    // DESCRIBE on each group, else GROUP_AUTHORIZATION_FAILED for it (KafkaApis).
    const describable = allowedNames(ctx, Op.DESCRIBE, Res.GROUP, req.groups);
    const refused = (groupId: string) => ({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [] });
    const described = gc ? gc.describeGroups(req.groups.filter((g) => describable.has(g))) : [];
    const descriptions = gc
      ? req.groups.map((g) => (describable.has(g) ? described.shift()! : refused(g)))
      : req.groups.map((groupId) => ({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }));
    return {
      throttleTimeMs: 0,
      groups: descriptions.map((d) => {
        const out: DescribeGroupsResponseInput['groups'][number] = {
          errorCode: d.errorCode,
          groupId: d.groupId,
          groupState: d.groupState,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members.map((m) => {
            const mm: DescribeGroupsResponseInput['groups'][number]['members'][number] = {
              memberId: m.memberId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              memberMetadata: m.memberMetadata,
              memberAssignment: m.memberAssignment,
            };
            if (v >= 4) mm.groupInstanceId = m.groupInstanceId;
            return mm;
          }),
        };
        if (v >= 3) out.authorizedOperations = req.includeAuthorizedOperations && d.errorCode === ErrorCode.NONE ? authorizedOperations(ctx, Res.GROUP, d.groupId, GROUP_OPS) : OPS_OMITTED;
        return out;
      }),
    };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })) };
  },
};
