import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SinkRecord } from '../../src/connect/api.ts';
import { FileStreamSinkTask } from '../../src/connect/connectors/file-stream-sink.ts';
import { Schemas } from '../../src/connect/data/schema.ts';
import { closeAll, tempDir } from '../helpers/index.ts';

/** The exactly-once file sink's recovery, step by step (a "crash" = dropping a task without stop()). */

afterAll(closeAll);

type Offsets = Map<string, { topic: string; partition: number; offset: number }>;

const rec = (value: string, offset: number): SinkRecord => ({
  topic: 't', kafkaPartition: 0, kafkaOffset: offset, keySchema: null, key: null, valueSchema: Schemas.STRING, value, timestamp: 0, headers: [],
  originalTopic: 't', originalKafkaPartition: 0, originalKafkaOffset: offset,
});

async function startTask(file: string): Promise<{ task: FileStreamSinkTask; asked: Offsets }> {
  const task = new FileStreamSinkTask();
  let asked: Offsets = new Map();
  await task.start({ file, 'exactly.once': 'true' }, { configs: {}, offset: (o) => (asked = o) });
  return { task, asked };
}

describe('FileStreamSink exactly.once', () => {
  it('a crash before the first flush truncates to where the connector began, keeping earlier content', async () => {
    const dir = await tempDir('kstream-connect-sink-');
    const file = join(dir, 'out.txt');
    await writeFile(file, 'pre-existing\n');
    const a = await startTask(file);
    expect(a.asked.size).toBe(0);
    await a.task.put([rec('one', 0), rec('two', 1)]);
    expect(await readFile(file, 'utf8')).toBe('pre-existing\none\ntwo\n');
    // crash: no flush, no stop
    const b = await startTask(file);
    expect(await readFile(file, 'utf8')).toBe('pre-existing\n');
    expect(b.asked.size).toBe(0);
    await b.task.stop();
    await a.task.stop();
  });

  it('after a flush, a crash truncates to the flushed length and asks to resume at the flushed offsets', async () => {
    const dir = await tempDir('kstream-connect-sink-');
    const file = join(dir, 'out.txt');
    const a = await startTask(file);
    await a.task.put([rec('one', 0), rec('two', 1)]);
    await a.task.flush(new Map([['t-0', { topic: 't', partition: 0, offset: 2 }]]));
    await a.task.put([rec('three', 2)]);
    const b = await startTask(file);
    expect(await readFile(file, 'utf8')).toBe('one\ntwo\n');
    expect([...b.asked.values()]).toEqual([{ topic: 't', partition: 0, offset: 2 }]);
    // A flush that saw no new data for t-0 keeps its recorded offset.
    await b.task.flush(new Map([['u-0', { topic: 'u', partition: 0, offset: 5 }]]));
    expect(JSON.parse(await readFile(`${file}.position`, 'utf8'))).toEqual({
      fileLength: 8,
      offsets: [{ topic: 't', partition: 0, offset: 2 }, { topic: 'u', partition: 0, offset: 5 }],
    });
    await b.task.stop();
    await a.task.stop();
  });
});
