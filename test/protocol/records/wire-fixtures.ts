import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Pulls the `records` blobs out of the captured Produce (v3–v7) requests and Fetch (v11) responses
 * in ../shared/fixtures/wire by walking their few fixed, non-flexible fields by hand, so these tests
 * depend on nothing but the bytes.
 */
export const WIRE = '/work/shared/fixtures/wire';

export interface PartitionRecords {
  topic: string;
  partition: number;
  records: Buffer | null;
  highWatermark?: number;
}

class R {
  pos = 0;
  readonly b: Buffer;
  constructor(b: Buffer) {
    this.b = b;
  }
  i8 = () => this.b.readInt8((this.pos += 1) - 1);
  i16 = () => this.b.readInt16BE((this.pos += 2) - 2);
  i32 = () => this.b.readInt32BE((this.pos += 4) - 4);
  i64 = () => Number(this.b.readBigInt64BE((this.pos += 8) - 8));
  str = (): string | null => {
    const n = this.i16();
    if (n < 0) return null;
    return this.b.toString('utf8', (this.pos += n) - n, this.pos);
  };
  bytes = (): Buffer | null => {
    const n = this.i32();
    if (n < 0) return null;
    return this.b.subarray((this.pos += n) - n, this.pos);
  };
}

/** Produce v3–v8 request frame (header v1, no length prefix). */
export function produceRecords(frame: Buffer): PartitionRecords[] {
  const r = new R(frame);
  r.i16(); // api key
  const version = r.i16();
  if (version < 3 || version > 8) throw new Error(`produce v${version} not handled here`);
  r.i32();
  r.str(); // client id
  r.str(); // transactional id
  r.i16(); // acks
  r.i32(); // timeout
  const out: PartitionRecords[] = [];
  for (let t = r.i32(); t > 0; t--) {
    const topic = r.str()!;
    for (let p = r.i32(); p > 0; p--) out.push({ topic, partition: r.i32(), records: r.bytes() });
  }
  return out;
}

/** Fetch v11 response frame (header v0). */
export function fetchRecords(frame: Buffer): PartitionRecords[] {
  const r = new R(frame);
  r.i32(); // correlation id
  r.i32(); // throttle
  r.i16(); // error
  r.i32(); // session id
  const out: PartitionRecords[] = [];
  for (let t = r.i32(); t > 0; t--) {
    const topic = r.str()!;
    for (let p = r.i32(); p > 0; p--) {
      const partition = r.i32();
      r.i16();
      const highWatermark = r.i64();
      r.i64(); // last stable
      r.i64(); // log start
      for (let a = r.i32(); a > 0; a--) {
        r.i64();
        r.i64();
      }
      r.i32(); // preferred read replica
      out.push({ topic, partition, records: r.bytes(), highWatermark });
    }
  }
  return out;
}

export function frames(session: string, pattern: RegExp): { file: string; buf: Buffer }[] {
  const dir = join(WIRE, session);
  return readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort()
    .map((file) => ({ file, buf: readFileSync(join(dir, file)) }));
}
