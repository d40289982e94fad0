import { ErrorCode } from '../../protocol/error-codes.ts';
import { ApiVersionsApi, type ApiVersionsRequest, type ApiVersionsResponseInput } from '../../protocol/messages/api-versions.ts';
import type { ApiHandler, RequestContext } from '../handler.ts';
import type { ServedApi } from '../handler-table.ts';


/** KIP-511: client software name and version must look like this (v3+). */
const SOFTWARE_RE = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;

/**
 * ApiVersions (18): the broker's API list, computed from the handler table (never hand-written).
 * Requests above v4 never get here: dispatch answers them in v0 format (KIP-511).
 */
export const apiVersions: ApiHandler<typeof ApiVersionsApi> = {
  api: ApiVersionsApi,
  minVersion: 0,
  maxVersion: 4,
  handle(req: ApiVersionsRequest, ctx: RequestContext): ApiVersionsResponseInput {
    if (ctx.apiVersion >= 3 && (!SOFTWARE_RE.test(req.clientSoftwareName) || !SOFTWARE_RE.test(req.clientSoftwareVersion))) {
      ctx.broker.logger.info(
        `ApiVersions v${ctx.apiVersion} from ${ctx.connection.remoteAddress}: invalid client software name/version ` +
          `${JSON.stringify(req.clientSoftwareName)} ${JSON.stringify(req.clientSoftwareVersion)}`,
      );
      return { errorCode: ErrorCode.INVALID_REQUEST, apiKeys: [], throttleTimeMs: 0 };
    }
    return { errorCode: ErrorCode.NONE, apiKeys: apiVersionList(ctx.broker.handlers), throttleTimeMs: 0 };
  },
  errorResponse(_req: ApiVersionsRequest, errorCode: number) {
    return { errorCode, apiKeys: [], throttleTimeMs: 0 };
  },
};

/** (apiKey, min, max) for every entry of the table, in api key order (lazy ones are not imported for it). */
export function apiVersionList(handlers: readonly ServedApi[]): { apiKey: number; minVersion: number; maxVersion: number }[] {
  return handlers
    .map((h) => ({ apiKey: h.api.key, minVersion: h.minVersion, maxVersion: h.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
}
