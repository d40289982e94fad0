/**
 * The broker's logger: one line per event, levels as methods. Structural, so storage and the
 * coordinator can accept the same object without importing this file.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

/** A logger writing `<iso time> <level> <message>` lines to a stream (stderr by default). */
export function createLogger(
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stderr.write(line),
): Logger {
  const min = ORDER[level];
  const at = (lvl: Exclude<LogLevel, 'silent'>) =>
    ORDER[lvl] < min ? () => {} : (message: string) => write(`${new Date().toISOString()} ${lvl.toUpperCase()} ${message}\n`);
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Drops everything; for tests that do not care about log output. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
