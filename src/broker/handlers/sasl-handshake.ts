import { ErrorCode } from '../../protocol/error-codes.ts';
import { SaslHandshakeApi, type SaslHandshakeRequest, type SaslHandshakeResponseInput } from '../../protocol/messages/sasl-handshake.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/** Clients retry the handshake every second or so: warn once a minute per client address. */
const WARN_EVERY_MS = 60_000;
const lastWarned = new Map<string, number>();

/**
 * SaslHandshake (17), v0–1: the client names its mechanism; the connection's security state
 * (src/security/session.ts) accepts it or answers UNSUPPORTED_SASL_MECHANISM with the enabled list,
 * after which the connection closes, as Kafka's SaslServerAuthenticator does. v0 means raw SASL
 * tokens follow instead of SaslAuthenticate requests. On a PLAINTEXT or SSL listener the answer is
 * ILLEGAL_SASL_STATE with no mechanisms, so a client configured for SASL gets an error naming SASL.
 */
export const saslHandshake: ApiHandler<typeof SaslHandshakeApi> = {
  api: SaslHandshakeApi,
  minVersion: 0,
  maxVersion: 1,
  handle(req: SaslHandshakeRequest, ctx: RequestContext): SaslHandshakeResponseInput {
    const security = ctx.connection.security;
    const outcome = security?.handshake(req.mechanism, ctx.apiVersion) ?? { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [], closeReason: null };
    if (security === undefined || security.listener.mechanisms.length === 0) warnNoSasl(req, ctx);
    const close = outcome.closeReason;
    // Connection.abort logs the reason: one line per refused handshake.
    if (close !== null) ctx.onResponseSent(() => ctx.connection.abort(`client ${ctx.clientId ?? '-'}: ${close}`));
    return { errorCode: outcome.errorCode, mechanisms: outcome.mechanisms };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, mechanisms: [] }),
};

function warnNoSasl(req: SaslHandshakeRequest, ctx: RequestContext): void {
  const peer = ctx.connection.remoteAddress;
  const now = Date.now();
  if (now - (lastWarned.get(peer) ?? -Infinity) < WARN_EVERY_MS) return;
  if (lastWarned.size > 1000) lastWarned.clear();
  lastWarned.set(peer, now);
  const listener = ctx.connection.listener;
  ctx.broker.logger.warn(
    `client ${ctx.clientId ?? '-'} at ${peer} asked for SASL ${req.mechanism} on listener ${listener?.name ?? '-'} (${listener?.protocol ?? 'PLAINTEXT'}), which has no SASL`,
  );
}
