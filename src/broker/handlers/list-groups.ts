import { ErrorCode } from '../../protocol/error-codes.ts';
import { ListGroupsApi, type ListGroupsResponseInput } from '../../protocol/messages/list-groups.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, allowedOnCluster, Op, Res } from '../authorize.ts';


/** ListGroups (16) v0–5: every live group; v4+ filter by state (and report it), v5+ by type ("classic"). */
export const listGroups: ApiHandler<typeof ListGroupsApi> = {
  api: ListGroupsApi,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    const gc = ctx.broker.coordinator;
    const v = ctx.apiVersion;
    // All groups with DESCRIBE on the cluster, else those the principal may DESCRIBE (KafkaApis).
    const all = gc.listGroups(v >= 4 ? req.statesFilter : [], v >= 5 ? req.typesFilter : []);
    const groups = allowedOnCluster(ctx, Op.DESCRIBE) ? all : all.filter((g) => allowed(ctx, Op.DESCRIBE, Res.GROUP, g.groupId));
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: groups.map((g) => {
        const out: ListGroupsResponseInput['groups'][number] = { groupId: g.groupId, protocolType: g.protocolType };
        if (v >= 4) out.groupState = g.groupState;
        if (v >= 5) out.groupType = g.groupType;
        return out;
      }),
    };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
};
