import { Reader } from '../../../protocol/primitives/reader.ts';
import { Writer } from '../../../protocol/primitives/writer.ts';

/**
 * Kafka Connect's group protocol bytes (ConnectProtocol and IncrementalCooperativeConnectProtocol),
 * carried in JoinGroup metadata and SyncGroup assignments of a group with protocol type "connect".
 * Java's non-flexible Struct encoding: int16/int32/int64 big-endian, STRING = int16 length + UTF-8,
 * NULLABLE_BYTES = int32 length (-1 null), ARRAY = int32 count (-1 null).
 *
 *   metadata v0 ("default", eager):   version, url, config_offset
 *   metadata v1/v2 ("compatible" / "sessioned"): version, url, config_offset, allocation: nullable bytes
 *                                    (the worker's current assignment, serialized as below)
 *   assignment:  version, error, leader, leader_url, config_offset, [connector, [task]]
 *                + v1/v2: revoked [connector, [task]], scheduled_delay int32
 * A task id of -1 in an assignment entry stands for the connector itself.
 */

export const PROTOCOL_TYPE = 'connect';
export const CONNECTOR_TASK = -1;
export type ConnectProtocolName = 'sessioned' | 'compatible' | 'default';
export const PROTOCOL_VERSIONS: Record<ConnectProtocolName, number> = { default: 0, compatible: 1, sessioned: 2 };

export interface TaskId {
  connector: string;
  task: number;
}

export interface ConnectAssignment {
  version: number;
  /** 0 none, 1 CONFIG_MISMATCH (the leader's config is older than a member's). */
  error: number;
  leader: string;
  leaderUrl: string;
  configOffset: bigint;
  connectors: string[];
  tasks: TaskId[];
  revokedConnectors: string[];
  revokedTasks: TaskId[];
  /** Milliseconds until the leader wants the group to rebalance again (lost work is waiting). */
  delay: number;
}

export interface WorkerState {
  url: string;
  configOffset: bigint;
  /** What the worker runs now (cooperative protocols only). */
  assignment: ConnectAssignment | null;
}

export const CONFIG_MISMATCH = 1;

function writeEntries(w: Writer, connectors: string[], tasks: TaskId[]): void {
  const byConnector = new Map<string, number[]>();
  for (const c of connectors) byConnector.set(c, [CONNECTOR_TASK]);
  for (const t of tasks) {
    let l = byConnector.get(t.connector);
    if (!l) byConnector.set(t.connector, (l = []));
    l.push(t.task);
  }
  w.int32(byConnector.size);
  for (const [c, ids] of byConnector) {
    w.string(c);
    w.int32(ids.length);
    for (const id of ids) w.int32(id);
  }
}

function readEntries(r: Reader): { connectors: string[]; tasks: TaskId[] } {
  const connectors: string[] = [];
  const tasks: TaskId[] = [];
  const n = r.int32();
  for (let i = 0; i < n; i++) {
    const connector = r.string();
    const m = r.int32();
    for (let j = 0; j < m; j++) {
      const id = r.int32();
      if (id === CONNECTOR_TASK) connectors.push(connector);
      else tasks.push({ connector, task: id });
    }
  }
  return { connectors, tasks };
}

export function encodeAssignment(a: ConnectAssignment): Buffer {
  const w = new Writer(128);
  w.int16(a.version);
  w.int16(a.error);
  w.string(a.leader);
  w.string(a.leaderUrl);
  w.int64(a.configOffset);
  writeEntries(w, a.connectors, a.tasks);
  if (a.version >= 1) {
    writeEntries(w, a.revokedConnectors, a.revokedTasks);
    w.int32(a.delay);
  }
  return w.finish();
}

export function decodeAssignment(buf: Buffer): ConnectAssignment {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new Error(`Unsupported Connect assignment version: ${version}`);
  const error = r.int16();
  const leader = r.string();
  const leaderUrl = r.string();
  const configOffset = r.int64();
  const assigned = r.remaining() >= 4 ? readEntries(r) : { connectors: [], tasks: [] };
  let revoked = { connectors: [] as string[], tasks: [] as TaskId[] };
  let delay = 0;
  if (version >= 1 && r.remaining() >= 4) revoked = readEntries(r);
  if (version >= 1 && r.remaining() >= 4) delay = r.int32();
  return { version, error, leader, leaderUrl, configOffset, connectors: assigned.connectors, tasks: assigned.tasks, revokedConnectors: revoked.connectors, revokedTasks: revoked.tasks, delay };
}

export function encodeMetadata(state: WorkerState, protocol: ConnectProtocolName): Buffer {
  const version = PROTOCOL_VERSIONS[protocol];
  const w = new Writer(64);
  w.int16(version);
  w.string(state.url);
  w.int64(state.configOffset);
  if (version >= 1) {
    const a = state.assignment;
    const empty = !a || (a.connectors.length === 0 && a.tasks.length === 0);
    w.nullableBytes(empty ? null : encodeAssignment({ ...a, version }));
  }
  return w.finish();
}

export function decodeMetadata(buf: Buffer): WorkerState & { version: number } {
  const r = new Reader(buf);
  const version = r.int16();
  if (version < 0) throw new Error(`Unsupported Connect subscription version: ${version}`);
  const url = r.string();
  const configOffset = r.int64();
  let assignment: ConnectAssignment | null = null;
  if (version >= 1 && r.remaining() >= 4) {
    const len = r.int32();
    if (len >= 0) assignment = decodeAssignment(r.raw(len));
  }
  return { version, url, configOffset, assignment };
}
