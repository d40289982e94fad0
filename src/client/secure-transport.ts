import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsConnectOptions } from 'node:tls';
import { ConnectionError, connectError } from './errors.ts';
import { usesSasl, usesTls, type ClientSecurity, type ClientTlsOptions } from './security.ts';

/**
 * Opening the client's socket to a broker: plain TCP or TLS by the security protocol, and the
 * diagnoses that turn a mismatch between client and listener into one clear sentence instead of a
 * hang or "bad frame" (a TLS client on a plaintext port, a plaintext client on a TLS port, an
 * untrusted certificate, a missing client certificate).
 */

export function openSocket(host: string, port: number, address: string, security: ClientSecurity, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const tls = usesTls(security.protocol);
    const socket = tls ? tlsConnect(tlsOptions(host, port, security.tls ?? {})) : netConnect({ host, port, noDelay: true });
    if (tls) socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ConnectionError(`timed out ${tls ? 'in the TLS handshake with' : 'connecting to'} ${address} after ${timeoutMs} ms${tls ? ' — is this a TLS listener?' : ''}`, address, 'ETIMEDOUT'));
    }, timeoutMs);
    const onError = (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(tls ? tlsConnectError(address, security, err) : connectError(address, err));
    };
    socket.once('error', onError);
    socket.once(tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

function tlsOptions(host: string, port: number, t: ClientTlsOptions): TlsConnectOptions {
  const verify = t.verify !== false;
  return {
    host,
    port,
    // SNI carries host names only (RFC 6066), never an IP address.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    ...(t.ca !== undefined ? { ca: t.ca } : {}),
    ...(t.cert !== undefined ? { cert: t.cert } : {}),
    ...(t.key !== undefined ? { key: t.key } : {}),
    ...(t.keyPassword !== undefined ? { passphrase: t.keyPassword } : {}),
    rejectUnauthorized: verify,
    ...(verify && t.checkHostname === false ? { checkServerIdentity: () => undefined } : {}),
  };
}

const CERT_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

/** One sentence for a failed TLS connect: what the broker or the client refused, and what to change. */
export function tlsConnectError(address: string, security: ClientSecurity, err: NodeJS.ErrnoException): ConnectionError {
  const code = err.code;
  const mk = (msg: string) => new ConnectionError(msg, address, code, { cause: err });
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return connectError(address, err);
  if (code !== undefined && CERT_CODES.has(code)) {
    return mk(`TLS: the certificate of ${address} is not trusted (${err.message}) — give its CA with --tls-ca (ssl.ca.location), or --tls-insecure for testing only`);
  }
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return mk(`TLS: the certificate of ${address} is not valid now (${err.message})`);
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return mk(`TLS: the certificate of ${address} does not name this host (${err.message}) — connect by a name it lists, or turn the check off with ssl.endpoint.identification.algorithm= (testing only)`);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || /before secure TLS connection was established|wrong version number|packet length too long|record layer failure/i.test(err.message)) {
    const plain = usesSasl(security.protocol) ? 'SASL_PLAINTEXT' : 'PLAINTEXT';
    return mk(`TLS handshake with ${address} failed: the broker closed the connection before TLS was established — is this a plaintext listener? (then use --security-protocol ${plain})`);
  }
  return tlsAlertError(address, err) ?? mk(`TLS handshake with ${address} failed: ${err.message}`);
}

/**
 * A TLS alert from the broker after the handshake looked done (TLS 1.3 sends the client-certificate
 * verdict after the client's Finished): name what it means.
 */
export function tlsAlertError(address: string, err: NodeJS.ErrnoException): ConnectionError | null {
  const m = err.message;
  if (/certificate required|handshake failure|bad certificate|unknown ca|certificate unknown/i.test(m) && /alert|SSL/i.test(m + (err.code ?? ''))) {
    const what = /certificate required|handshake failure/i.test(m)
      ? 'the broker requires a client certificate (mTLS): give --tls-cert and --tls-key (ssl.certificate.location, ssl.key.location)'
      : 'the broker refused the client certificate: it is not signed by a CA the broker trusts';
    return new ConnectionError(`TLS with ${address} failed: ${what} (${m})`, address, err.code, { cause: err });
  }
  return null;
}

/** The first bytes of a TLS record (handshake or alert, version 3.x): a TLS listener answering plaintext. */
export function looksLikeTls(chunk: Buffer): boolean {
  return chunk.length >= 3 && (chunk[0] === 0x15 || chunk[0] === 0x16) && chunk[1] === 0x03 && chunk[2]! <= 0x04;
}

export function tlsListenerError(address: string, security: ClientSecurity): ConnectionError {
  const tls = usesSasl(security.protocol) ? 'SASL_SSL' : 'SSL';
  return new ConnectionError(`${address} answered with TLS: it is a TLS listener — use --security-protocol ${tls} (security.protocol=${tls})`, address, 'EPROTO');
}
