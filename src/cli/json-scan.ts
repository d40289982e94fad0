/**
 * A validating JSON scanner over bytes. It does not build values: it checks the grammar (RFC 8259)
 * and reports where each value starts and ends, so the envelope reader can take a record's value
 * bytes straight from the input line (no decode → parse → stringify → encode per record) and the
 * writer can check that a record's bytes are one JSON value it may embed verbatim.
 */

export const JsonType = { string: 1, number: 2, object: 3, array: 4, true: 5, false: 6, null: 7 } as const;
export type JsonType = (typeof JsonType)[keyof typeof JsonType];

/** A grammar error; `pos` is the byte offset where scanning stopped. */
export class JsonScanError extends Error {
  override name = 'JsonScanError';
  pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

const MAX_DEPTH = 512;

/** Scan state: `pos` after a call is where scanning stopped; `escaped` = last string had a backslash. */
export class JsonScanner {
  buf: Uint8Array;
  pos: number;
  end: number;
  escaped = false;
  /** Set when a newline or carriage return was skipped as whitespace inside the last value. */
  sawNewline = false;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  fail(what: string): never {
    throw new JsonScanError(what, this.pos);
  }

  skipWs(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < this.end) {
      const c = b[p]!;
      if (c === 0x20 || c === 0x09) p++;
      else if (c === 0x0a || c === 0x0d) {
        this.sawNewline = true;
        p++;
      } else break;
    }
    this.pos = p;
  }

  /** Scans a string starting at its opening quote; `pos` ends after the closing quote. */
  string(): void {
    const b = this.buf;
    let p = this.pos + 1;
    let escaped = false;
    for (;;) {
      if (p >= this.end) {
        this.pos = p;
        this.fail('unterminated string');
      }
      const c = b[p]!;
      if (c === 0x22) break;
      if (c === 0x5c) {
        escaped = true;
        const e = b[p + 1];
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = b[p + k];
            if (h === undefined || p + k >= this.end || !((h >= 0x30 && h <= 0x39) || (h >= 0x41 && h <= 0x46) || (h >= 0x61 && h <= 0x66))) {
              this.pos = p;
              this.fail('bad \\u escape');
            }
          }
          p += 6;
          continue;
        }
        if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
          p += 2;
          continue;
        }
        this.pos = p;
        this.fail('bad escape');
      }
      if (c < 0x20) {
        this.pos = p;
        this.fail('control character in string');
      }
      p++;
    }
    this.escaped = escaped;
    this.pos = p + 1;
  }

  private number(): void {
    const b = this.buf;
    let p = this.pos;
    const digit = (q: number) => q < this.end && b[q]! >= 0x30 && b[q]! <= 0x39;
    if (b[p] === 0x2d) p++;
    if (!digit(p)) {
      this.pos = p;
      this.fail('bad number');
    }
    if (b[p] === 0x30) p++;
    else while (digit(p)) p++;
    if (p < this.end && b[p] === 0x2e) {
      p++;
      if (!digit(p)) {
        this.pos = p;
        this.fail('bad number');
      }
      while (digit(p)) p++;
    }
    if (p < this.end && (b[p] === 0x65 || b[p] === 0x45)) {
      p++;
      if (p < this.end && (b[p] === 0x2b || b[p] === 0x2d)) p++;
      if (!digit(p)) {
        this.pos = p;
        this.fail('bad number');
      }
      while (digit(p)) p++;
    }
    this.pos = p;
  }

  private literal(word: string): void {
    for (let k = 0; k < word.length; k++) {
      if (this.pos + k >= this.end || this.buf[this.pos + k] !== word.charCodeAt(k)) this.fail(`expected ${word}`);
    }
    this.pos += word.length;
  }

  /** Scans one value at `pos` (no leading whitespace); returns its type, `pos` ends after it. */
  value(depth = 0): JsonType {
    if (this.pos >= this.end) this.fail('expected a value');
    const c = this.buf[this.pos]!;
    switch (c) {
      case 0x22:
        this.string();
        return JsonType.string;
      case 0x7b: {
        if (depth >= MAX_DEPTH) this.fail('nesting too deep');
        this.pos++;
        this.skipWs();
        if (this.buf[this.pos] === 0x7d) {
          this.pos++;
          return JsonType.object;
        }
        for (;;) {
          if (this.buf[this.pos] !== 0x22) this.fail('expected a member name');
          this.string();
          this.skipWs();
          if (this.buf[this.pos] !== 0x3a) this.fail("expected ':'");
          this.pos++;
          this.skipWs();
          this.value(depth + 1);
          this.skipWs();
          const d = this.buf[this.pos];
          this.pos++;
          if (d === 0x7d) return JsonType.object;
          if (d !== 0x2c) {
            this.pos--;
            this.fail("expected ',' or '}'");
          }
          this.skipWs();
        }
      }
      case 0x5b: {
        if (depth >= MAX_DEPTH) this.fail('nesting too deep');
        this.pos++;
        this.skipWs();
        if (this.buf[this.pos] === 0x5d) {
          this.pos++;
          return JsonType.array;
        }
        for (;;) {
          this.value(depth + 1);
          this.skipWs();
          const d = this.buf[this.pos];
          this.pos++;
          if (d === 0x5d) return JsonType.array;
          if (d !== 0x2c) {
            this.pos--;
            this.fail("expected ',' or ']'");
          }
          this.skipWs();
        }
      }
      case 0x74:
        this.literal('true');
        return JsonType.true;
      case 0x66:
        this.literal('false');
        return JsonType.false;
      case 0x6e:
        this.literal('null');
        return JsonType.null;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
          this.number();
          return JsonType.number;
        }
        this.fail('unexpected character');
    }
  }
}

/**
 * The type of `buf[start, end)` if it is exactly one JSON value with nothing around it and no line
 * break anywhere (so it can sit inside a JSON line as is), else 0.
 */
export function wholeJsonValue(buf: Uint8Array, start = 0, end = buf.length): JsonType | 0 {
  if (start >= end) return 0;
  const s = new JsonScanner(buf, start, end);
  try {
    const t = s.value();
    return s.pos === end && !s.sawNewline ? t : 0;
  } catch {
    return 0;
  }
}
