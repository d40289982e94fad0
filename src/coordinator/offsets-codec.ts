import type { OffsetEntry } from './group.ts';

/**
 * Keys and values of the records kstream writes to its internal `__consumer_offsets` log, in the
 * same binary layout Kafka uses (OffsetCommitKey v1, OffsetCommitValue v1/v3, GroupMetadataKey v2,
 * GroupMetadataValue v3), so the log is readable by anyone who knows Kafka's format. A record with a
 * null value is a tombstone: the offset or the group was deleted. The latest record per key wins.
 */

export class OffsetsCodecError extends Error {
  override name = 'OffsetsCodecError';
}

const OFFSET_KEY_VERSION = 1;
const GROUP_KEY_VERSION = 2;

export interface StoredMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface StoredGroup {
  protocolType: string;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  stateTimestamp: number;
  members: StoredMember[];
}

export type OffsetsKey =
  | { kind: 'offset'; groupId: string; topic: string; partition: number }
  | { kind: 'group'; groupId: string };

class Out {
  readonly parts: Buffer[] = [];
  int16(v: number): this {
    const b = Buffer.allocUnsafe(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  int32(v: number): this {
    const b = Buffer.allocUnsafe(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }
  int64(v: bigint | number): this {
    const b = Buffer.allocUnsafe(8);
    b.writeBigInt64BE(BigInt(v));
    this.parts.push(b);
    return this;
  }
  string(v: string | null): this {
    if (v === null) return this.int16(-1);
    const s = Buffer.from(v, 'utf8');
    if (s.length > 0x7fff) throw new OffsetsCodecError(`string of ${s.length} bytes is too long`);
    this.int16(s.length);
    this.parts.push(s);
    return this;
  }
  bytes(v: Buffer): this {
    this.int32(v.length);
    this.parts.push(v);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class In {
  at = 0;
  readonly buf: Buffer;
  constructor(buf: Buffer) {
    this.buf = buf;
  }
  #need(n: number): void {
    if (this.at + n > this.buf.length) throw new OffsetsCodecError(`truncated record: need ${n} bytes at ${this.at} of ${this.buf.length}`);
  }
  int16(): number {
    this.#need(2);
    const v = this.buf.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    this.#need(4);
    const v = this.buf.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    this.#need(8);
    const v = this.buf.readBigInt64BE(this.at);
    this.at += 8;
    return v;
  }
  string(): string | null {
    const len = this.int16();
    if (len < 0) return null;
    this.#need(len);
    const s = this.buf.toString('utf8', this.at, this.at + len);
    this.at += len;
    return s;
  }
  requiredString(what: string): string {
    const s = this.string();
    if (s === null) throw new OffsetsCodecError(`${what} is null`);
    return s;
  }
  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) return Buffer.alloc(0);
    this.#need(len);
    const b = Buffer.from(this.buf.subarray(this.at, this.at + len));
    this.at += len;
    return b;
  }
}

export function encodeOffsetKey(groupId: string, topic: string, partition: number): Buffer {
  return new Out().int16(OFFSET_KEY_VERSION).string(groupId).string(topic).int32(partition).done();
}

export function encodeGroupKey(groupId: string): Buffer {
  return new Out().int16(GROUP_KEY_VERSION).string(groupId).done();
}

export function decodeKey(buf: Buffer): OffsetsKey {
  const r = new In(buf);
  const version = r.int16();
  if (version === 0 || version === 1) {
    return { kind: 'offset', groupId: r.requiredString('group'), topic: r.requiredString('topic'), partition: r.int32() };
  }
  if (version === 2) return { kind: 'group', groupId: r.requiredString('group') };
  throw new OffsetsCodecError(`unknown __consumer_offsets key version ${version}`);
}

/** v3 normally; v1 when the commit carried an explicit expiry (v3 has no field for it). */
export function encodeOffsetValue(e: OffsetEntry): Buffer {
  if (e.expireTimestamp !== null) {
    return new Out().int16(1).int64(e.offset).string(e.metadata).int64(e.commitTimestamp).int64(e.expireTimestamp).done();
  }
  return new Out().int16(3).int64(e.offset).int32(e.leaderEpoch).string(e.metadata).int64(e.commitTimestamp).done();
}

export function decodeOffsetValue(buf: Buffer): OffsetEntry {
  const r = new In(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new OffsetsCodecError(`unknown offset value version ${version}`);
  const offset = r.int64();
  const leaderEpoch = version >= 3 ? r.int32() : -1;
  const metadata = r.string() ?? '';
  const commitTimestamp = Number(r.int64());
  const expireTimestamp = version === 1 ? Number(r.int64()) : null;
  return { offset, leaderEpoch, metadata, commitTimestamp, expireTimestamp };
}

export function encodeGroupValue(g: StoredGroup): Buffer {
  const w = new Out()
    .int16(3)
    .string(g.protocolType)
    .int32(g.generationId)
    .string(g.protocolName)
    .string(g.leaderId)
    .int64(g.stateTimestamp)
    .int32(g.members.length);
  for (const m of g.members) {
    w.string(m.memberId)
      .string(m.groupInstanceId)
      .string(m.clientId)
      .string(m.clientHost)
      .int32(m.rebalanceTimeoutMs)
      .int32(m.sessionTimeoutMs)
      .bytes(m.subscription)
      .bytes(m.assignment);
  }
  return w.done();
}

export function decodeGroupValue(buf: Buffer): StoredGroup {
  const r = new In(buf);
  const version = r.int16();
  if (version < 0 || version > 3) throw new OffsetsCodecError(`unknown group value version ${version}`);
  const protocolType = r.requiredString('protocol type');
  const generationId = r.int32();
  const protocolName = r.string();
  const leaderId = r.string();
  const stateTimestamp = version >= 2 ? Number(r.int64()) : -1;
  const n = r.int32();
  if (n < 0 || n > buf.length) throw new OffsetsCodecError(`bad member count ${n}`);
  const members: StoredMember[] = [];
  for (let i = 0; i < n; i++) {
    const memberId = r.requiredString('member id');
    const groupInstanceId = version >= 3 ? r.string() : null;
    const clientId = r.requiredString('client id');
    const clientHost = r.requiredString('client host');
    const rebalanceTimeoutMs = version >= 1 ? r.int32() : -1;
    const sessionTimeoutMs = r.int32();
    const subscription = r.bytes();
    const assignment = r.bytes();
    members.push({
      memberId,
      groupInstanceId,
      clientId,
      clientHost,
      rebalanceTimeoutMs: rebalanceTimeoutMs < 0 ? sessionTimeoutMs : rebalanceTimeoutMs,
      sessionTimeoutMs,
      subscription,
      assignment,
    });
  }
  return { protocolType, generationId, protocolName, leaderId, stateTimestamp, members };
}
