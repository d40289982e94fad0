import type { Reader } from './primitives/reader.ts';
import type { Writer } from './primitives/writer.ts';

/**
 * Everything kstream knows about one Kafka API, in one typed value. Each generated module
 * (src/protocol/messages/<api>.ts) exports one, e.g. `ProduceApi`; nothing else in the code base
 * writes down an API key, a version range or a flexible version. The broker's handlers declare the
 * descriptor they serve, the client's `request(ProduceApi, body)` takes one, and headers.ts derives
 * the header versions from it.
 *
 * Type parameters: the decoded request and response, and what their encoders accept (`…Input`,
 * where defaulted fields may be left out).
 */
export interface ApiDescriptor<Req, Res, ReqInput = Req, ResInput = Res> {
  /** Kafka's API key. */
  readonly key: number;
  /** Kafka's API name, e.g. `Produce`. */
  readonly name: string;
  /** Versions Kafka 3.9 marks valid and stable (a `latestVersionUnstable` top version is left out). */
  readonly validVersions: VersionRange;
  /** Highest version the codec can encode and decode (includes an unstable top version). */
  readonly maxCodecVersion: number;
  /** First flexible version (compact encodings, tagged fields, header v2/v1); null when there is none. */
  readonly firstFlexibleVersion: number | null;
  /** Which Kafka processes serve the API (`broker`, `controller`, `zkBroker`). */
  readonly listeners: readonly string[];
  /** Versions sent with request header v0 (no client id): only ControlledShutdown v0. */
  readonly requestHeaderV0Versions?: VersionRange;
  /** Responses always use header v0, whatever the version (ApiVersions: read before versions are known). */
  readonly responseHeaderAlwaysV0?: boolean;
  encodeRequest(w: Writer, msg: ReqInput, version: number): void;
  decodeRequest(r: Reader, version: number): Req;
  encodeResponse(w: Writer, msg: ResInput, version: number): void;
  decodeResponse(r: Reader, version: number): Res;
}

export interface VersionRange {
  readonly min: number;
  /** Inclusive; below `min` when there is no stable version at all. */
  readonly max: number;
}

/**
 * Any descriptor, its message types unknown. Codec methods are declared as methods, so a typed
 * descriptor is assignable here (for tables keyed by number); code that needs the message types takes
 * a type parameter `D extends AnyApiDescriptor` and reads them with the helpers below.
 */
export type AnyApiDescriptor = ApiDescriptor<unknown, unknown, unknown, unknown>;

/**
 * What an API is without its codecs: key, name and versions, the same values as its descriptor's.
 * Generated into src/protocol/messages/api-facts.ts (e.g. `ProduceFacts`), which imports no codec
 * module, for tables that must name an API before its codecs load: the broker's lazy handler table
 * advertises and routes an API from its facts and loads the handler (and codecs) on the first request.
 */
export interface ApiFacts<D extends AnyApiDescriptor = AnyApiDescriptor> {
  readonly key: number;
  readonly name: string;
  readonly validVersions: VersionRange;
  readonly maxCodecVersion: number;
  readonly firstFlexibleVersion: number | null;
  /**
   * Never set: names the descriptor these are the facts of, as a type, so that a table entry made
   * from `EndTxnFacts` cannot be given the handler of another API (tsc fails).
   */
  readonly descriptorType?: D;
}

/** Decoded request type of a descriptor. */
export type RequestOf<D> = D extends ApiDescriptor<infer Req, unknown, unknown, unknown> ? Req : never;
/** Decoded response type of a descriptor. */
export type ResponseOf<D> = D extends ApiDescriptor<unknown, infer Res, unknown, unknown> ? Res : never;
/** What the request encoder accepts. */
export type RequestInputOf<D> = D extends ApiDescriptor<unknown, unknown, infer ReqIn, unknown> ? ReqIn : never;
/** What the response encoder accepts (what a broker handler returns). */
export type ResponseInputOf<D> = D extends ApiDescriptor<unknown, unknown, unknown, infer ResIn> ? ResIn : never;

/** True when `version` of the API uses the flexible encoding. */
export function isFlexible(api: AnyApiDescriptor, version: number): boolean {
  return api.firstFlexibleVersion !== null && version >= api.firstFlexibleVersion;
}

/** True when the codec can read and write `version` (valid versions plus an unstable top one). */
export function hasVersion(api: AnyApiDescriptor, version: number): boolean {
  return Number.isInteger(version) && version >= api.validVersions.min && version <= api.maxCodecVersion;
}
