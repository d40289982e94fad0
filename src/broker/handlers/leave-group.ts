import { ErrorCode } from '../../protocol/error-codes.ts';
import { LeaveGroupApi } from '../../protocol/messages/leave-group.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';


/**
 * LeaveGroup (13): one member id in v0–2 (its error is the response's error), a Members[] batch
 * with per-member errors in v3+ (static members may leave by instance id alone).
 */
export const leaveGroup: ApiHandler<typeof LeaveGroupApi> = {
  api: LeaveGroupApi,
  minVersion: 0,
  maxVersion: 5,
  handle(req, ctx) {
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const gc = ctx.broker.coordinator;
    if (ctx.apiVersion <= 2) {
      const r = gc.leaveGroup(req.groupId, [{ memberId: req.memberId, groupInstanceId: null }]);
      return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : (r.members[0]?.errorCode ?? ErrorCode.NONE) };
    }
    const r = gc.leaveGroup(
      req.groupId,
      req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })),
    );
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
