import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useCleanupStack } from '../helpers/index.ts';
import { loadConnectorFile, parseProperties } from '../../src/connect/runtime/properties.ts';
import { parseWorkerConfig } from '../../src/connect/runtime/worker-config.ts';

const { tempDir } = useCleanupStack();

describe('Java properties', () => {
  it('parses separators, comments, continuations and escapes as java.util.Properties', () => {
    const p = parseProperties('# c\n! c2\na=1\nb : 2\nc 3\nd=x\\\n   y\ne=tab\\there\nf\\=g=h\nu=\\u00e9\n  spaced = v  \n');
    expect(p).toEqual({ a: '1', b: '2', c: '3', d: 'xy', e: 'tab\there', 'f=g': 'h', u: 'é', spaced: 'v  ' });
  });

  it('loads connector files in properties and both JSON forms', async () => {
    const d = await tempDir('kstream-connect-props-');
    await writeFile(join(d, 'a.json'), JSON.stringify({ name: 'a', config: { 'connector.class': 'FileStreamSink', 'tasks.max': 2 } }));
    await writeFile(join(d, 'b.json'), JSON.stringify({ name: 'b', 'connector.class': 'FileStreamSource' }));
    await writeFile(join(d, 'c.properties'), 'name=c\nconnector.class=FileStreamSource\n');
    await writeFile(join(d, 'bad.json'), '{nope');
    expect(await loadConnectorFile(join(d, 'a.json'))).toEqual({ name: 'a', 'connector.class': 'FileStreamSink', 'tasks.max': '2' });
    expect(await loadConnectorFile(join(d, 'b.json'))).toEqual({ name: 'b', 'connector.class': 'FileStreamSource' });
    expect(await loadConnectorFile(join(d, 'c.properties'))).toEqual({ name: 'c', 'connector.class': 'FileStreamSource' });
    await expect(loadConnectorFile(join(d, 'bad.json'))).rejects.toThrow(/bad.json: invalid JSON/);
    await expect(loadConnectorFile(join(d, 'missing.properties'))).rejects.toThrow(/no such file/);
  });
});

describe('worker config', () => {
  it('reads Kafka’s settings with their defaults and lists the ignored ones', () => {
    const w = parseWorkerConfig({
      'bootstrap.servers': 'localhost:9092,[::1]:9093',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'offset.storage.file.filename': '/tmp/x.offsets',
      'plugin.path': '/usr/share/java',
      'some.unknown': '1',
    });
    expect(w.bootstrap).toEqual([{ host: 'localhost', port: 9092 }, { host: '::1', port: 9093 }]);
    expect(w.offsetFlushIntervalMs).toBe(60000);
    expect(w.listeners).toEqual([{ host: '0.0.0.0', port: 8083 }]);
    expect(w.ignoredSettings).toEqual(['some.unknown']);
  });

  it('names the bad setting', () => {
    const base = { 'key.converter': 'a', 'value.converter': 'b', 'offset.storage.file.filename': '/tmp/o' };
    expect(() => parseWorkerConfig({ ...base, 'offset.flush.interval.ms': 'soon' })).toThrow(/Invalid value soon for configuration offset.flush.interval.ms/);
    expect(() => parseWorkerConfig({ 'value.converter': 'b', 'offset.storage.file.filename': '/tmp/o' })).toThrow(/"key.converter"/);
    expect(() => parseWorkerConfig({ 'key.converter': 'a', 'value.converter': 'b' })).toThrow(/"offset.storage.file.filename"/);
    expect(() => parseWorkerConfig({ ...base, listeners: 'ftp://x' })).toThrow(/listeners/);
  });
});
