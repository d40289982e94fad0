import { ErrorCode } from '../../protocol/error-codes.ts';
import { SyncGroupApi, type SyncGroupResponseInput } from '../../protocol/messages/sync-group.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';


/**
 * SyncGroup (14) v0–5: the leader brings every member's assignment; each member's response waits
 * for it. v3+ static membership; v5+ protocol type/name on both sides (Java checks them).
 */
export const syncGroup: ApiHandler<typeof SyncGroupApi> = {
  api: SyncGroupApi,
  minVersion: 0,
  maxVersion: 5,
  async handle(req, ctx) {
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return errorShape(ErrorCode.GROUP_AUTHORIZATION_FAILED, ctx);
    const gc = ctx.broker.coordinator;
    const v = ctx.apiVersion;
    const r = await gc.syncGroup({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: v >= 3 ? req.groupInstanceId : null,
      protocolType: v >= 5 ? req.protocolType : null,
      protocolName: v >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    const out: SyncGroupResponseInput = { throttleTimeMs: 0, errorCode: r.errorCode, assignment: r.assignment };
    if (v >= 5) {
      out.protocolType = r.protocolType;
      out.protocolName = r.protocolName;
    }
    return out;
  },
  errorResponse(_req, errorCode, ctx) {
    return errorShape(errorCode, ctx);
  },
};

function errorShape(errorCode: number, ctx: RequestContext): SyncGroupResponseInput {
  const out: SyncGroupResponseInput = { throttleTimeMs: 0, errorCode, assignment: Buffer.alloc(0) };
  if (ctx.apiVersion >= 5) {
    out.protocolType = null;
    out.protocolName = null;
  }
  return out;
}
