/**
 * Micro-benchmark for the record-batch hot paths (not a test; numbers only):
 *   node test/protocol/records/bench-records.ts [records-per-batch] [value-bytes]
 * Reports MB/s and records/s for encode, validate (the broker's produce path) and decode, per codec.
 */
import { encodeRecordBatch, decodeRecordBatch } from '../../../src/protocol/records/record-batch.ts';
import { validateBatch } from '../../../src/protocol/records/validate.ts';
import { crc32c } from '../../../src/protocol/records/crc32c.ts';
import type { CompressionName } from '../../../src/protocol/records/compression/index.ts';

const n = Number(process.argv[2] ?? 1000);
const valueBytes = Number(process.argv[3] ?? 100);
const records = Array.from({ length: n }, (_, i) => ({
  key: `key-${i}`,
  value: Buffer.from(`{"id":${i},"payload":"${'x'.repeat(Math.max(0, valueBytes - 24))}"}`),
  headers: [{ key: 'trace', value: `t-${i}` }],
  timestamp: 1_700_000_000_000 + i,
}));

function time(label: string, bytes: number, recs: number, fn: () => void): void {
  for (let i = 0; i < 30; i++) fn(); // warm up (JIT)
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < 500) {
    fn();
    iterations++;
    elapsed = performance.now() - start;
  }
  const perSec = (iterations * 1000) / elapsed;
  console.log(
    `${label.padEnd(28)} ${((perSec * bytes) / 1e6).toFixed(1).padStart(8)} MB/s  ${((perSec * recs) / 1e6).toFixed(2).padStart(6)} M records/s`,
  );
}

const raw = encodeRecordBatch({ records, compression: 'none' });
console.log(`${n} records of ~${valueBytes} B; uncompressed batch ${raw.length} bytes`);
time('crc32c', raw.length, n, () => crc32c(raw, 21, raw.length));
for (const c of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionName[]) {
  const batch = encodeRecordBatch({ records, compression: c });
  console.log(`-- ${c}: ${batch.length} bytes`);
  time(`encode ${c}`, raw.length, n, () => encodeRecordBatch({ records, compression: c }));
  time(`validate ${c}`, raw.length, n, () => validateBatch(batch));
  time(`decode ${c}`, raw.length, n, () => decodeRecordBatch(batch));
}
