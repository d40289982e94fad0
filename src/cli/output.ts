
/**
 * Terminal-aware output: colour only on a TTY and never with NO_COLOR; tables for humans, JSON for
 * programs. EPIPE on stdout (`| head`) ends the command quietly with status 0.
 */

export const stdoutIsTTY = (): boolean => process.stdout.isTTY === true;
export const stderrIsTTY = (): boolean => process.stderr.isTTY === true;

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return stream.isTTY === true;
}

export interface Colors {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const plain: Colors = { bold: (s) => s, dim: (s) => s, green: (s) => s, red: (s) => s, yellow: (s) => s };
let cached: Colors | undefined;

/**
 * Loads chalk when stdout is a colour terminal (pipes never pay for it). The base command calls it
 * before run(); colors() is then synchronous.
 */
export async function prepareColors(): Promise<void> {
  if (cached || !colorEnabled()) return;
  const { Chalk } = await import('chalk');
  cached = new Chalk({ level: 1 });
}

/** chalk on a colour terminal, identity functions otherwise. */
export function colors(): Colors {
  return cached ?? plain;
}

/** Calls onPipeClosed once when a reader of stdout goes away. */
export function onStdoutClosed(onPipeClosed: () => void): void {
  let done = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      if (!done) {
        done = true;
        onPipeClosed();
      }
      return;
    }
    throw err;
  });
}

/** Writes and resolves when the data is handed to the OS (or buffered below the high-water mark). */
export function write(chunk: string | Buffer): Promise<void> | undefined {
  if (process.stdout.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      process.stdout.off('drain', done);
      process.stdout.off('error', done);
      process.stdout.off('close', done);
      resolve();
    };
    process.stdout.once('drain', done);
    process.stdout.once('error', done);
    process.stdout.once('close', done);
  });
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v), 2)}\n`);
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Left/right aligned columns separated by two spaces; the header line bold on a colour terminal. */
export function formatTable(columns: Array<string | Column>, rows: Array<Array<string | number | bigint | null | undefined>>): string {
  const cols = columns.map((c) => (typeof c === 'string' ? { header: c } : c));
  const cells = rows.map((r) => r.map((v) => (v === null || v === undefined ? '-' : String(v))));
  const widths = cols.map((c, i) => Math.max(c.header.length, ...cells.map((r) => (r[i] ?? '').length)));
  const pad = (s: string, i: number) => (cols[i]!.align === 'right' ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const c = colors();
  const head = cols.map((col, i) => pad(col.header, i)).join('  ').trimEnd();
  const lines = [c.bold(head)];
  for (const r of cells) lines.push(r.map((v, i) => pad(v, i)).join('  ').trimEnd());
  return `${lines.join('\n')}\n`;
}
