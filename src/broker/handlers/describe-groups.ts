import { ErrorCode } from '../../protocol/error-codes.ts';
import type { GroupCoordinator } from '../../coordinator/group-coordinator.ts';
import { DescribeGroupsApi, type DescribeGroupsRequest, type DescribeGroupsResponseInput } from '../../protocol/messages/describe-groups.ts';
import type { ApiHandler } from '../handler.ts';

/** "Not requested" in authorizedOperations. */
const OPS_OMITTED = -2147483648;
/** No ACLs in kstream: everyone may READ (3), DELETE (6) and DESCRIBE (8) a group. */
const GROUP_OPS = (1 << 3) | (1 << 6) | (1 << 8);

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
    const descriptions = gc
      ? gc.describeGroups(req.groups)
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
        if (v >= 3) out.authorizedOperations = req.includeAuthorizedOperations ? GROUP_OPS : OPS_OMITTED;
        return out;
      }),
    };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })) };
  },
};
