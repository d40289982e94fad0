/**
 * A Jepsen-style checker over what a test did to a cluster and what the cluster ended up holding.
 * The history is recorded by the test (client side) plus what it read back at the end; the checker
 * decides, with no timing involved:
 *
 * - no acknowledged record lost: every write the cluster acknowledged is in the final log;
 * - none duplicated: no written value appears twice (each write carries a unique value);
 * - per-partition order kept: the acknowledged writes of one sequential producer appear in the final
 *   log in the order they were acknowledged, and at the offset the acknowledgement named;
 * - no two leaders in the same epoch: every observation of (partition, leader epoch) names one leader;
 * - replicas byte-identical up to the high watermark: every batch below it is the same bytes on
 *   every replica that holds it.
 */

export interface AckedWrite {
  partition: number;
  value: string;
  /** The offset the produce response assigned. */
  offset: number;
}

export interface ReadRecord {
  offset: number;
  value: string;
}

export interface LeaderObservation {
  partition: number;
  leaderEpoch: number;
  leader: number;
}

/** One record batch as stored: its base offset and its exact bytes. */
export interface StoredBatch {
  baseOffset: number;
  lastOffset: number;
  bytes: Buffer;
}

export interface History {
  /** Acknowledged writes, in acknowledgement order (one sequential producer per partition). */
  acked: AckedWrite[];
  /** The final log of each partition, read from its leader up to the high watermark. */
  final: Map<number, ReadRecord[]>;
  leaders: LeaderObservation[];
  /** Per partition: each replica's stored batches, and the partition's high watermark. */
  replicas?: Map<number, { highWatermark: number; byBroker: Map<number, StoredBatch[]> }>;
}

export type Anomaly =
  | { kind: 'lost'; partition: number; value: string; offset: number }
  | { kind: 'duplicated'; partition: number; value: string; offsets: number[] }
  | { kind: 'moved'; partition: number; value: string; ackedOffset: number; foundOffset: number }
  | { kind: 'reordered'; partition: number; first: string; second: string }
  | { kind: 'two-leaders'; partition: number; leaderEpoch: number; leaders: number[] }
  | { kind: 'replica-diverged'; partition: number; broker: number; baseOffset: number };

export function checkHistory(h: History): Anomaly[] {
  const anomalies: Anomaly[] = [];
  for (const [partition, records] of h.final) {
    const seen = new Map<string, number[]>();
    for (const r of records) seen.set(r.value, [...(seen.get(r.value) ?? []), r.offset]);
    for (const [value, offsets] of seen) if (offsets.length > 1) anomalies.push({ kind: 'duplicated', partition, value, offsets });
  }
  const lastFound = new Map<number, { value: string; offset: number }>();
  for (const w of h.acked) {
    const records = h.final.get(w.partition) ?? [];
    const found = records.find((r) => r.value === w.value);
    if (!found) {
      anomalies.push({ kind: 'lost', partition: w.partition, value: w.value, offset: w.offset });
      continue;
    }
    if (found.offset !== w.offset) anomalies.push({ kind: 'moved', partition: w.partition, value: w.value, ackedOffset: w.offset, foundOffset: found.offset });
    const prev = lastFound.get(w.partition);
    if (prev && found.offset <= prev.offset) anomalies.push({ kind: 'reordered', partition: w.partition, first: prev.value, second: w.value });
    lastFound.set(w.partition, { value: w.value, offset: found.offset });
  }
  const byEpoch = new Map<string, Set<number>>();
  for (const o of h.leaders) {
    if (o.leader < 0) continue;
    const key = `${o.partition}:${o.leaderEpoch}`;
    const set = byEpoch.get(key) ?? new Set<number>();
    set.add(o.leader);
    byEpoch.set(key, set);
  }
  for (const [key, leaders] of byEpoch) {
    if (leaders.size > 1) {
      const [partition, leaderEpoch] = key.split(':').map(Number) as [number, number];
      anomalies.push({ kind: 'two-leaders', partition, leaderEpoch, leaders: [...leaders].sort((a, b) => a - b) });
    }
  }
  for (const [partition, { highWatermark, byBroker }] of h.replicas ?? new Map<number, { highWatermark: number; byBroker: Map<number, StoredBatch[]> }>()) {
    // The reference for each batch below the high watermark is the first replica holding it.
    const reference = new Map<number, Buffer>();
    for (const [broker, batches] of [...byBroker].sort((a, b) => a[0] - b[0])) {
      for (const b of batches) {
        if (b.lastOffset >= highWatermark) continue;
        const ref = reference.get(b.baseOffset);
        if (!ref) reference.set(b.baseOffset, b.bytes);
        else if (!ref.equals(b.bytes)) anomalies.push({ kind: 'replica-diverged', partition, broker, baseOffset: b.baseOffset });
      }
    }
    // A replica missing a batch below the high watermark (that the others have) diverged too.
    for (const [broker, batches] of byBroker) {
      const have = new Set(batches.map((b) => b.baseOffset));
      const start = Math.min(...batches.map((b) => b.baseOffset), Number.POSITIVE_INFINITY);
      for (const base of reference.keys()) if (base >= start && !have.has(base)) anomalies.push({ kind: 'replica-diverged', partition, broker, baseOffset: base });
    }
  }
  return anomalies;
}

/** Splits a segment file's bytes into its record batches (base offset int64, length int32, body). */
export function splitBatches(file: Buffer): StoredBatch[] {
  const out: StoredBatch[] = [];
  let pos = 0;
  while (pos + 12 <= file.length) {
    const baseOffset = Number(file.readBigInt64BE(pos));
    const length = file.readInt32BE(pos + 8);
    if (length <= 0 || pos + 12 + length > file.length) break; // preallocated / torn tail
    const bytes = file.subarray(pos, pos + 12 + length);
    // lastOffsetDelta sits at byte 23 of a v2 batch (after partitionLeaderEpoch, magic, crc, attributes).
    const lastOffsetDelta = length >= 15 ? file.readInt32BE(pos + 23) : 0;
    out.push({ baseOffset, lastOffset: baseOffset + lastOffsetDelta, bytes: Buffer.from(bytes) });
    pos += 12 + length;
  }
  return out;
}
