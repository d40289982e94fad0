/**
 * KafkaStreams configuration with Kafka's names (StreamsConfig). Values may be given as strings (from
 * `--config k=v`) or typed; unknown keys are kept for appConfigs() as Kafka keeps them.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { securityFromConfig } from "../../client/security-config.ts";
import type { ClientSecurity } from "../../client/security.ts";
import type { Serde } from "../serdes.ts";
import { Serdes } from "../serdes.ts";

export type ProcessingGuarantee = "at_least_once" | "exactly_once_v2";

export interface StreamsConfigInput {
  "application.id": string;
  "bootstrap.servers": string;
  "processing.guarantee"?: ProcessingGuarantee | string;
  "commit.interval.ms"?: number | string;
  "state.dir"?: string;
  "num.stream.threads"?: number | string;
  "num.standby.replicas"?: number | string;
  "statestore.cache.max.bytes"?: number | string;
  /** Deprecated synonym of statestore.cache.max.bytes (KIP-770), used when the new name is absent. */
  "cache.max.bytes.buffering"?: number | string;
  "default.key.serde"?: Serde<unknown> | string;
  "default.value.serde"?: Serde<unknown> | string;
  "default.deserialization.exception.handler"?: "logAndContinue" | "logAndFail" | string;
  "session.timeout.ms"?: number | string;
  "heartbeat.interval.ms"?: number | string;
  "poll.ms"?: number | string;
  [key: string]: unknown;
}

export interface StreamsConfig {
  applicationId: string;
  bootstrapServers: string[];
  processingGuarantee: ProcessingGuarantee;
  commitIntervalMs: number;
  stateDir: string;
  numStandbyReplicas: number;
  cacheMaxBytes: number;
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
  deserializationHandler: "logAndContinue" | "logAndFail";
  sessionTimeoutMs: number;
  heartbeatIntervalMs: number;
  pollMs: number;
  /** Kafka's client security keys (security.protocol, sasl.*, ssl.*) as the client's options. */
  security: ClientSecurity;
  raw: { [key: string]: unknown };
}

function num(cfg: StreamsConfigInput, key: string, dflt: number, min = 0): number {
  const v = cfg[key];
  if (v === undefined || v === null || v === "") return dflt;
  const n = typeof v === "number" ? v : Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`Invalid value ${String(v)} for configuration ${key}: must be a number ≥ ${min}`);
  return n;
}

/** `default.key.serde` may name a serde as Kafka's class names do, e.g. "String" or "Serdes.String". */
function serde(cfg: StreamsConfigInput, key: string): Serde<unknown> | undefined {
  const v = cfg[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v === "object" && "serializer" in v && "deserializer" in v) return v as Serde<unknown>;
  if (typeof v === "string") {
    const name = v.replace(/^(org\.apache\.kafka\.common\.serialization\.)?Serdes[.$]/, "").replace(/Serde$/, "").replace(/\(\)$/, "");
    const make = (Serdes as unknown as { [k: string]: (() => Serde<unknown>) | undefined })[name];
    if (make) return make();
  }
  throw new Error(`Invalid value ${String(v)} for configuration ${key}: pass a Serde or one of String, Long, Integer, Double, ByteArray, JSON`);
}

/** The primitive-valued entries (security keys are strings, numbers or booleans). */
function securityKeys(cfg: StreamsConfigInput): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (const [k, v] of Object.entries(cfg)) if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  return out;
}

export function parseStreamsConfig(cfg: StreamsConfigInput): StreamsConfig {
  const appId = cfg["application.id"];
  if (typeof appId !== "string" || appId === "") throw new Error('Missing required configuration "application.id" which has no default value.');
  if (!/^[a-zA-Z0-9._-]+$/.test(appId)) throw new Error(`Invalid value ${appId} for configuration application.id: only ASCII alphanumerics, '.', '_' and '-' are allowed`);
  const bootstrap = cfg["bootstrap.servers"];
  if (typeof bootstrap !== "string" || bootstrap.trim() === "") throw new Error('Missing required configuration "bootstrap.servers" which has no default value.');
  const guarantee = (cfg["processing.guarantee"] ?? "at_least_once") as string;
  if (guarantee !== "at_least_once" && guarantee !== "exactly_once_v2") {
    throw new Error(`Invalid value ${guarantee} for configuration processing.guarantee: String must be one of: at_least_once, exactly_once_v2`);
  }
  const dh = (cfg["default.deserialization.exception.handler"] ?? "logAndFail") as string;
  const handler = /continue/i.test(dh) ? "logAndContinue" : /fail/i.test(dh) ? "logAndFail" : null;
  if (!handler) throw new Error(`Invalid value ${dh} for configuration default.deserialization.exception.handler: use logAndContinue or logAndFail`);
  const threads = num(cfg, "num.stream.threads", 1, 1);
  if (threads !== 1) throw new Error("num.stream.threads > 1 is not yet supported: run more instances instead (they share the tasks)");
  return {
    applicationId: appId,
    bootstrapServers: bootstrap.split(",").map((s) => s.trim()).filter(Boolean),
    processingGuarantee: guarantee,
    // Kafka: 30000 for at_least_once, 100 for exactly_once_v2.
    commitIntervalMs: num(cfg, "commit.interval.ms", guarantee === "exactly_once_v2" ? 100 : 30_000),
    stateDir: (cfg["state.dir"] as string | undefined) ?? join(tmpdir(), "kafka-streams"),
    numStandbyReplicas: num(cfg, "num.standby.replicas", 0),
    cacheMaxBytes: num(cfg, "statestore.cache.max.bytes", num(cfg, "cache.max.bytes.buffering", 10 * 1024 * 1024)),
    defaultKeySerde: serde(cfg, "default.key.serde"),
    defaultValueSerde: serde(cfg, "default.value.serde"),
    deserializationHandler: handler,
    sessionTimeoutMs: num(cfg, "session.timeout.ms", 45_000, 1),
    heartbeatIntervalMs: num(cfg, "heartbeat.interval.ms", 3_000, 1),
    pollMs: num(cfg, "poll.ms", 100, 1),
    security: securityFromConfig(securityKeys(cfg)),
    raw: { ...cfg },
  };
}
