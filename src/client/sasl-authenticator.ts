import type { AnyApiDescriptor, RequestInputOf, ResponseOf } from '../protocol/api-descriptor.ts';
import { ErrorCode, errorName } from '../protocol/error-codes.ts';
import { SaslAuthenticateApi } from '../protocol/messages/sasl-authenticate.ts';
import { SaslHandshakeApi } from '../protocol/messages/sasl-handshake.ts';
import { OAuthBearerSaslClient } from '../security/oauthbearer-client.ts';
import { PlainSaslClient } from '../security/plain-client.ts';
import { SaslClientError, type SaslClient } from '../security/sasl-client.ts';
import { ScramSaslClient } from '../security/scram-client.ts';
import { scramMechanismByName } from '../security/scram.ts';
import { KafkaError, UnsupportedApiError } from './errors.ts';
import type { ClientSasl, SecretSource } from './security.ts';

/** Sends one request on the connection being authenticated, at an exact version, bypassing any gate. */
export type Exchange = <D extends AnyApiDescriptor>(api: D, version: number, body: RequestInputOf<D>) => Promise<ResponseOf<D>>;

/** A SASL failure: the broker's error code and message, with who tried what where. */
export class SaslError extends KafkaError {
  override name = 'SaslError';
}

const secret = (s: SecretSource): Promise<string> => (typeof s === 'string' ? Promise.resolve(s) : s());

async function newClient(sasl: ClientSasl): Promise<SaslClient> {
  if (sasl.mechanism === 'OAUTHBEARER') return new OAuthBearerSaslClient(await secret(sasl.token));
  const password = await secret(sasl.password);
  if (sasl.mechanism === 'PLAIN') return new PlainSaslClient(sasl.username, password);
  return new ScramSaslClient(scramMechanismByName(sasl.mechanism)!, sasl.username, password);
}

/**
 * Kafka's client-side SASL exchange (SaslClientAuthenticator): SaslHandshake v1 names the mechanism,
 * then SaslAuthenticate requests carry the mechanism's tokens until it completes. Returns the session
 * lifetime the broker grants (KIP-368; 0 = unlimited), after which the connection must re-authenticate
 * — the same exchange again on the same connection.
 */
export async function authenticateSasl(
  exchange: Exchange,
  versionOf: (api: AnyApiDescriptor) => number,
  address: string,
  sasl: ClientSasl,
  reauthenticating: boolean,
): Promise<{ sessionLifetimeMs: number }> {
  const who = `${'username' in sasl ? ` as ${sasl.username}` : ''} with SASL mechanism ${sasl.mechanism}`;
  const what = `${reauthenticating ? 're-authentication' : 'SASL authentication'} with ${address}${who}`;
  const handshakeVersion = versionOf(SaslHandshakeApi);
  const authVersion = versionOf(SaslAuthenticateApi);
  if (handshakeVersion < 1 || authVersion < 0) {
    throw new UnsupportedApiError(`${address} does not offer SaslHandshake v1 and SaslAuthenticate (a Kafka older than 1.0, or not a SASL listener)`);
  }
  const hs = await exchange(SaslHandshakeApi, handshakeVersion, { mechanism: sasl.mechanism });
  if (hs.errorCode === ErrorCode.UNSUPPORTED_SASL_MECHANISM) {
    throw new SaslError(hs.errorCode, what, `the broker does not enable ${sasl.mechanism}; enabled mechanisms: ${hs.mechanisms.join(', ') || 'none'}`);
  }
  if (hs.errorCode === ErrorCode.ILLEGAL_SASL_STATE && hs.mechanisms.length === 0 && !reauthenticating) {
    throw new SaslError(hs.errorCode, what, 'this listener does not use SASL — use --security-protocol SSL or PLAINTEXT');
  }
  if (hs.errorCode !== ErrorCode.NONE) throw new SaslError(hs.errorCode, `${what}: SaslHandshake`);

  const client = await newClient(sasl);
  let token: Buffer | null = client.initialResponse();
  let sessionLifetimeMs = 0;
  // Every mechanism here finishes in at most three round trips; a server asking for more is broken.
  for (let round = 0; token !== null; round++) {
    if (round >= 5) throw new SaslError(ErrorCode.ILLEGAL_SASL_STATE, what, 'the broker kept asking for more SASL tokens');
    const res = await exchange(SaslAuthenticateApi, authVersion, { authBytes: token });
    if (res.errorCode !== ErrorCode.NONE) throw new SaslError(res.errorCode, what, res.errorMessage ?? errorName(res.errorCode));
    sessionLifetimeMs = Number(res.sessionLifetimeMs ?? 0n);
    try {
      token = client.evaluate(res.authBytes);
    } catch (e) {
      if (e instanceof SaslClientError) throw new SaslError(ErrorCode.SASL_AUTHENTICATION_FAILED, what, e.message);
      throw e;
    }
  }
  return { sessionLifetimeMs };
}
