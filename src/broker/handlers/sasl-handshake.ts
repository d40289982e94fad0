import { ErrorCode } from '../../protocol/error-codes.ts';
import { SaslHandshakeApi, type SaslHandshakeRequest, type SaslHandshakeResponseInput } from '../../protocol/messages/sasl-handshake.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';

/** Clients retry the handshake every second or so: warn once a minute per client address. */
const WARN_EVERY_MS = 60_000;
const lastWarned = new Map<string, number>();

/**
 * SaslHandshake (17), v0–1. kstream listens in plaintext only; like a Kafka PLAINTEXT listener it
 * answers ErrorCode.ILLEGAL_SASL_STATE with no mechanisms, so a client configured for SASL fails with an error
 * that names SASL instead of a bare disconnect.
 */
export const saslHandshake: ApiHandler<typeof SaslHandshakeApi> = {
  api: SaslHandshakeApi,
  minVersion: 0,
  maxVersion: 1,
  handle(req: SaslHandshakeRequest, ctx: RequestContext): SaslHandshakeResponseInput {
    const peer = ctx.connection.remoteAddress;
    const now = Date.now();
    if (now - (lastWarned.get(peer) ?? -Infinity) >= WARN_EVERY_MS) {
      if (lastWarned.size > 1000) lastWarned.clear();
      lastWarned.set(peer, now);
      ctx.broker.logger.warn(`client ${ctx.clientId ?? '-'} at ${peer} asked for SASL ${req.mechanism}: kstream serves plaintext only`);
    }
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, mechanisms: [] }),
};
