/** The settings table is the single source: docs/broker.md describes every setting in it. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BROKER_SETTINGS } from '../../src/config/broker-settings.ts';
import { settingError } from '../../src/config/definitions.ts';
import { TOPIC_SETTINGS } from '../../src/config/topic-settings.ts';
import { repoRoot } from '../helpers/index.ts';

const doc = readFileSync(join(repoRoot, 'docs', 'broker.md'), 'utf8');
const row = (name: string) => doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));

describe('settings table', () => {
  it('docs/broker.md has a row for every broker setting and topic config, ignored ones with their reason', () => {
    for (const d of BROKER_SETTINGS) {
      const line = row(d.name);
      expect(line, d.name).toBeDefined();
      if (d.ignored) expect(line, d.name).toContain(d.ignored);
      expect(line!.includes('| yes |'), `${d.name} dynamic`).toBe(d.dynamic);
    }
    for (const d of TOPIC_SETTINGS) expect(row(d.name), d.name).toBeDefined();
  });

  it('every default is valid for its own definition', () => {
    for (const d of [...BROKER_SETTINGS, ...TOPIC_SETTINGS]) {
      if (d.default !== null && d.default !== '') expect(settingError(d, d.default), d.name).toBeNull();
    }
  });
});
