// snappyjs ships no types. Raw snappy blocks (no framing): https://github.com/zhipeng-jia/snappyjs
declare module 'snappyjs' {
  export function compress(uncompressed: Buffer): Buffer;
  export function uncompress(compressed: Buffer, maxLength?: number): Buffer;
}
