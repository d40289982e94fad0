import { createHmac, timingSafeEqual } from 'node:crypto';
import { RestError } from '../herder.ts';
import type { SessionKey } from '../../storage/config-backing-store.ts';

/**
 * KIP-507 internal request signing (Kafka's InternalRequestSignature): a worker sending task configs to
 * the leader signs the request body with the session key from the config topic —
 * `X-Connect-Authorization: base64(HMAC(key, body))` and `X-Connect-Request-Signature-Algorithm:
 * HmacSHA256` — and the leader checks it, so only workers that can read the config topic can push
 * task configs.
 */

export const SIGNATURE_HEADER = 'X-Connect-Authorization';
export const SIGNATURE_ALGORITHM_HEADER = 'X-Connect-Request-Signature-Algorithm';
export const DEFAULT_SIGNATURE_ALGORITHM = 'HmacSHA256';

export interface RequestSignature {
  algorithm: string | null;
  signature: string | null;
  body: string;
}

/** Java's Mac names → node's digest names (HmacSHA256 → sha256). */
function digest(algorithm: string): string | null {
  const m = /^Hmac(SHA(?:1|224|256|384|512))$/i.exec(algorithm);
  return m ? m[1]!.toLowerCase() : null;
}

export function sign(key: SessionKey, body: string, algorithm = DEFAULT_SIGNATURE_ALGORITHM): Record<string, string> {
  const d = digest(algorithm);
  if (!d) throw new Error(`unsupported request signature algorithm ${algorithm}`);
  return { [SIGNATURE_HEADER]: createHmac(d, key.key).update(body, 'utf8').digest('base64'), [SIGNATURE_ALGORITHM_HEADER]: algorithm };
}

/** DistributedHerder.requestNotSignedProperly: Kafka's status codes and messages. */
export function verify(sig: RequestSignature | undefined, key: SessionKey | null, allowed: string[] = [DEFAULT_SIGNATURE_ALGORITHM]): void {
  if (!sig || sig.algorithm === null || sig.signature === null) throw new RestError(400, 'Internal request missing required signature');
  if (!allowed.includes(sig.algorithm)) {
    throw new RestError(400, `This worker does not support the '${sig.algorithm}' key signing algorithm used by other workers. This worker is currently configured to use: [${allowed.join(', ')}]. Check that all workers' configuration files permit the same set of signature algorithms, and correct any misconfigured worker and restart it.`);
  }
  if (!key) throw new RestError(503, 'This worker is still starting up and has not been able to read a session key from the config topic yet');
  const d = digest(sig.algorithm)!;
  const expected = createHmac(d, key.key).update(sig.body, 'utf8').digest();
  const given = Buffer.from(sig.signature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new RestError(403, 'Internal request contained invalid signature.');
}
