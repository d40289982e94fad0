import { ErrorCode } from '../../protocol/error-codes.ts';
import { HeartbeatApi } from '../../protocol/messages/heartbeat.ts';
import type { ApiHandler } from '../handler.ts';
import { allowed, Op, Res } from '../authorize.ts';


/** Heartbeat (12) v0–4: keeps a member alive; 27 REBALANCE_IN_PROGRESS tells it to rejoin. */
export const heartbeat: ApiHandler<typeof HeartbeatApi> = {
  api: HeartbeatApi,
  minVersion: 0,
  maxVersion: 4,
  handle(req, ctx) {
    if (!allowed(ctx, Op.READ, Res.GROUP, req.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    const gc = ctx.broker.coordinator;
    const errorCode = gc.heartbeat({
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? req.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
