import type { Command } from '@oclif/core';
import Serve from './serve.ts';

/**
 * The command table: the single list of what `kstream` can do. oclif's "explicit" strategy reads it,
 * so no directory is scanned at start-up. Keys use ':' for topics (`topics:list` = `kstream topics list`).
 * Commands import their machinery lazily inside run(), so loading this table stays cheap.
 */
export const commands: Record<string, Command.Class> = {
  serve: Serve,
};
