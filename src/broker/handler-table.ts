import type { AnyApiDescriptor, ApiFacts, VersionRange } from '../protocol/api-descriptor.ts';
import type { ApiHandler } from './handler.ts';
import { loadOnce } from './load-once.ts';

/**
 * An API the broker serves whose handler module is imported on the first request for it, not at
 * start-up. Most APIs (transactions, ACLs, quotas, SCRAM, reassignments, …) are never asked of a
 * given broker, and each handler pulls in its generated codecs and the machinery behind it; importing
 * them all made `kstream serve` start measurably slower (bench/README.md, issue 12).
 *
 * What dispatch and ApiVersions need before then — the API's key, name and versions, and the range
 * served — comes from the codec-free facts (src/protocol/messages/api-facts.ts) and the entry itself;
 * `load` checks that the handler it imports serves exactly that (test/broker/lazy-handlers.test.ts
 * checks every entry).
 */
export interface LazyHandler<D extends AnyApiDescriptor = AnyApiDescriptor> {
  readonly api: ApiFacts<D>;
  readonly minVersion: number;
  readonly maxVersion: number;
  /** Imports the handler on the first call; every later call gets the same promise. */
  load(): Promise<ApiHandler<D>>;
}

/** One entry of the table a broker serves: a handler, or one imported on its API's first request. */
export type ServedApi = ApiHandler | LazyHandler;

/** True for a handler that is already there (an eager entry). */
export function isLoaded(entry: ServedApi): entry is ApiHandler {
  return 'handle' in entry;
}

/**
 * A table entry for `api`, serving `versions`, whose handler `importer` brings in (a dynamic import of
 * the handler module). A failed import is not cached: the next request tries again.
 */
export function lazyHandler<D extends AnyApiDescriptor>(api: ApiFacts<D>, versions: VersionRange, importer: () => Promise<ApiHandler<D>>): LazyHandler<D> {
  return {
    api,
    minVersion: versions.min,
    maxVersion: versions.max,
    load: loadOnce(async () => {
      const handler = await importer();
      const problem = mismatch(api, versions, handler);
      if (problem) throw new Error(problem);
      return handler;
    }),
  };
}

/** Why `handler` is not what the table entry advertised, or undefined when it is. */
export function mismatch(api: ApiFacts, versions: VersionRange, handler: ApiHandler): string | undefined {
  if (handler.api.key !== api.key) return `the table entry for ${api.name} loaded the handler of ${handler.api.name}`;
  if (handler.minVersion !== versions.min || handler.maxVersion !== versions.max) {
    return `the table advertises ${api.name} v${versions.min}-${versions.max}, its handler serves v${handler.minVersion}-${handler.maxVersion}`;
  }
  return undefined;
}

/** The handler of an entry, importing it if it is lazy. */
export function loadHandler(entry: ServedApi): Promise<ApiHandler> {
  return isLoaded(entry) ? Promise.resolve(entry) : entry.load();
}

/** Every handler of a table, imported (tests and tools that need them all). */
export function loadHandlers(table: readonly ServedApi[]): Promise<ApiHandler[]> {
  return Promise.all(table.map(loadHandler));
}

/**
 * The entry with its handler replaced by `wrap(handler)`, keeping it lazy if it was (cluster mode
 * wraps the coordinator APIs without importing them).
 */
export function mapHandler(entry: ServedApi, wrap: (h: ApiHandler) => ApiHandler): ServedApi {
  if (isLoaded(entry)) return wrap(entry);
  let wrapped: Promise<ApiHandler> | undefined;
  const lazy: LazyHandler = {
    api: entry.api,
    minVersion: entry.minVersion,
    maxVersion: entry.maxVersion,
    load: () => (wrapped ??= entry.load().then(wrap, (err: unknown) => {
      wrapped = undefined;
      throw err;
    })),
  };
  return lazy;
}
