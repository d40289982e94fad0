import { ErrorCode } from '../../protocol/error-codes.ts';
import { SaslAuthenticateApi, type SaslAuthenticateRequest, type SaslAuthenticateResponseInput } from '../../protocol/messages/sasl-authenticate.ts';
import type { ApiHandler } from '../handler.ts';


/** SaslAuthenticate (36), v0–2: no SASL on a plaintext listener (see sasl-handshake.ts). */
export const saslAuthenticate: ApiHandler<typeof SaslAuthenticateApi> = {
  api: SaslAuthenticateApi,
  minVersion: 0,
  maxVersion: 2,
  handle(): SaslAuthenticateResponseInput {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'kstream serves plaintext only: SASL is not enabled', authBytes: Buffer.alloc(0) };
  },
  errorResponse: (_req, errorCode) => ({ errorCode, errorMessage: null, authBytes: Buffer.alloc(0) }),
};
