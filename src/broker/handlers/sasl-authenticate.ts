import { ErrorCode } from '../../protocol/error-codes.ts';
import { SaslAuthenticateApi, type SaslAuthenticateRequest, type SaslAuthenticateResponseInput } from '../../protocol/messages/sasl-authenticate.ts';
import { failedAuthenticationDelay, failureReason, logAuthenticated } from '../authentication-gate.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/**
 * SaslAuthenticate (36), v0–2: one SASL token of the mechanism chosen by SaslHandshake. On success
 * the connection's principal is set and v1+ carries the session lifetime (KIP-368,
 * connections.max.reauth.ms). A failure is logged on one line (no secrets), answered after
 * connection.failed.authentication.delay.ms with SASL_AUTHENTICATION_FAILED, and the connection is
 * closed once the answer is sent — Kafka's order.
 */
export const saslAuthenticate: ApiHandler<typeof SaslAuthenticateApi> = {
  api: SaslAuthenticateApi,
  minVersion: 0,
  maxVersion: 2,
  async handle(req: SaslAuthenticateRequest, ctx: RequestContext): Promise<SaslAuthenticateResponseInput> {
    const security = ctx.connection.security;
    if (security === undefined || security.listener.mechanisms.length === 0) {
      return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: `SASL is not enabled on listener ${ctx.connection.listener?.name ?? 'PLAINTEXT'}`, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    const outcome = security.authenticate(req.authBytes, ctx.broker.now());
    if (!outcome.ok) {
      await failedAuthenticationDelay(ctx.connection);
      const reason = failureReason(ctx.connection, outcome);
      ctx.onResponseSent(() => ctx.connection.abort(reason));
      return { errorCode: outcome.errorCode, errorMessage: outcome.message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
    }
    if (outcome.complete) logAuthenticated(ctx.connection, ctx.broker.logger);
    return { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: outcome.bytes, sessionLifetimeMs: BigInt(outcome.sessionLifetimeMs) };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, errorMessage: null, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n }),
};
