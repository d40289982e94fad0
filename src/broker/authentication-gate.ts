import type { AuthenticateOutcome } from '../security/session.ts';
import { CloseConnection, type Connection, type RequestProcessor, type Response } from './connection.ts';
import type { ConnectionInfo } from './handler.ts';
import type { Logger } from './logger.ts';

const describe = (c: ConnectionInfo) => `#${c.id} ${c.remoteAddress}:${c.remotePort}`;

/**
 * The broker's authentication gate, in front of dispatch on every listener: asks the connection's
 * security state whether the request may be served (Kafka serves only ApiVersions and the SASL APIs
 * before authentication and closes the connection on anything else), and answers the raw SASL tokens
 * that follow a SaslHandshake v0 (length-prefixed bytes without a Kafka header).
 */
export function withAuthenticationGate(dispatch: RequestProcessor, now: () => number, logger: Logger): RequestProcessor {
  return (frame: Buffer, conn: Connection) => {
    const security = conn.security;
    if (security === undefined) return dispatch(frame, conn);
    if (security.expectsRawToken) return rawToken(frame, conn, now, logger);
    if (frame.length >= 2) {
      const reason = security.admit(frame.readInt16BE(0), now());
      if (reason !== null) throw new CloseConnection(reason);
    }
    return dispatch(frame, conn);
  };
}

async function rawToken(frame: Buffer, conn: Connection, now: () => number, logger: Logger): Promise<Response> {
  const security = conn.security!;
  const outcome = security.authenticate(frame, now());
  if (!outcome.ok) {
    // Raw SASL has no way to carry an error: Kafka closes the connection (after the delay).
    await failedAuthenticationDelay(conn);
    throw new CloseConnection(`${failureReason(conn, outcome)} (raw tokens after SaslHandshake v0)`);
  }
  if (outcome.complete) logAuthenticated(conn, logger);
  const out = Buffer.allocUnsafe(4 + outcome.bytes.length);
  out.writeInt32BE(outcome.bytes.length, 0);
  outcome.bytes.copy(out, 4);
  return out;
}

/**
 * Why a connection closes after a failed authentication: one log line with the mechanism's reason,
 * which names the user at most, never a secret.
 */
export function failureReason(conn: ConnectionInfo, outcome: Extract<AuthenticateOutcome, { ok: false }>): string {
  return `failed authentication on listener ${conn.security?.listener.name ?? '-'} with SASL mechanism ${outcome.mechanism}: ${outcome.logReason}`;
}

/** connection.failed.authentication.delay.ms, waited before answering a failure (Kafka's brake on password guessing). */
export async function failedAuthenticationDelay(conn: ConnectionInfo): Promise<void> {
  const delay = conn.security?.listener.failedAuthDelayMs ?? 0;
  if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
}

export function logAuthenticated(conn: ConnectionInfo, logger: Logger): void {
  logger.debug(`connection ${describe(conn)} authenticated as ${conn.security?.principal} on listener ${conn.security?.listener.name}`);
}
