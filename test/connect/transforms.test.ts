import { describe, expect, it } from 'vitest';
import type { SinkRecord, SourceRecord } from '../../src/connect/api.ts';
import { Logical, Schemas, Struct, type Schema } from '../../src/connect/data/schema.ts';
import { TransformationChain, TransformError } from '../../src/connect/transforms/chain.ts';

const T = 'org.apache.kafka.connect.transforms.';
const P = 'org.apache.kafka.connect.transforms.predicates.';

function sink(value: unknown, valueSchema: Schema | null = null, extra: Partial<SinkRecord> = {}): SinkRecord {
  return {
    topic: 'orders',
    kafkaPartition: 2,
    kafkaOffset: 41,
    keySchema: null,
    key: null,
    valueSchema,
    value,
    timestamp: Date.UTC(2024, 4, 6, 7, 8, 9),
    headers: [],
    originalTopic: 'orders',
    originalKafkaPartition: 2,
    originalKafkaOffset: 41,
    ...extra,
  };
}

const chain = (cfg: Record<string, string>) => new TransformationChain(cfg);
const person = Schemas.struct([
  ['id', Schemas.INT32],
  ['name', Schemas.STRING],
  ['ssn', Schemas.OPTIONAL_STRING],
  ['address', Schemas.optional(Schemas.struct([['city', Schemas.STRING], ['zip', Schemas.OPTIONAL_STRING]]))],
]);
const addr = person.fields![3]!.schema;
const alice = () => new Struct(person).put('id', 1).put('name', 'alice').put('ssn', '123-45').put('address', new Struct(addr).put('city', 'Oslo').put('zip', '0150'));

describe('SMTs by Kafka class name', () => {
  it('InsertField$Value adds topic, partition, offset, timestamp and a static field (schemaless and Struct)', () => {
    const c = chain({
      transforms: 'ins',
      'transforms.ins.type': `${T}InsertField$Value`,
      'transforms.ins.topic.field': 'src_topic',
      'transforms.ins.partition.field': 'p',
      'transforms.ins.offset.field': 'o!',
      'transforms.ins.timestamp.field': 'ts',
      'transforms.ins.static.field': 'dc',
      'transforms.ins.static.value': 'eu-1',
    });
    expect(c.apply(sink({ a: 1 }))!.value).toEqual({ a: 1, src_topic: 'orders', p: 2, o: 41, ts: Date.UTC(2024, 4, 6, 7, 8, 9), dc: 'eu-1' });
    const r = c.apply(sink(alice(), person))!;
    const s = r.value as Struct;
    expect(r.valueSchema!.fields!.map((f) => `${f.name}:${f.schema.type}${f.schema.optional ? '?' : ''}`)).toEqual([
      'id:int32', 'name:string', 'ssn:string?', 'address:struct?', 'src_topic:string?', 'p:int32?', 'o:int64', 'ts:int64?', 'dc:string?',
    ]);
    expect(r.valueSchema!.fields![7]!.schema.name).toBe('org.apache.kafka.connect.data.Timestamp');
    expect([s.get('name'), s.get('src_topic'), s.get('o'), (s.get('ts') as Date).getTime()]).toEqual(['alice', 'orders', 41, Date.UTC(2024, 4, 6, 7, 8, 9)]);
  });

  it('InsertField offset.field on a source record fails as Kafka', () => {
    const c = chain({ transforms: 'i', 'transforms.i.type': `${T}InsertField$Value`, 'transforms.i.offset.field': 'o' });
    const src: SourceRecord = { ...sink({ a: 1 }), sourcePartition: null, sourceOffset: null };
    delete (src as Partial<SinkRecord>).kafkaOffset;
    expect(() => c.apply(src)).toThrow(TransformError);
  });

  it('ReplaceField excludes, includes and renames', () => {
    const c = chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.exclude': 'ssn', 'transforms.r.renames': 'name:full_name,id:person_id' });
    expect(c.apply(sink({ id: 1, name: 'a', ssn: 'x' }))!.value).toEqual({ person_id: 1, full_name: 'a' });
    const r = c.apply(sink(alice(), person))!;
    expect(r.valueSchema!.fields!.map((f) => f.name)).toEqual(['person_id', 'full_name', 'address']);
    const inc = chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.include': 'id' });
    expect(inc.apply(sink({ id: 1, name: 'a' }))!.value).toEqual({ id: 1 });
  });

  it('MaskField masks to the type’s empty value or a replacement', () => {
    const c = chain({ transforms: 'm', 'transforms.m.type': `${T}MaskField$Value`, 'transforms.m.fields': 'ssn,id' });
    const s = c.apply(sink(alice(), person))!.value as Struct;
    expect([s.get('ssn'), s.get('id'), s.get('name')]).toEqual(['', 0, 'alice']);
    const r = chain({ transforms: 'm', 'transforms.m.type': `${T}MaskField$Value`, 'transforms.m.fields': 'ssn', 'transforms.m.replacement': '***' });
    expect(r.apply(sink({ ssn: '1', n: 2 }))!.value).toEqual({ ssn: '***', n: 2 });
  });

  it('ValueToKey then ExtractField$Key makes a primitive key (Kafka’s classic chain)', () => {
    const c = chain({
      transforms: 'vk,ek',
      'transforms.vk.type': `${T}ValueToKey`,
      'transforms.vk.fields': 'id',
      'transforms.ek.type': `${T}ExtractField$Key`,
      'transforms.ek.field': 'id',
    });
    const r = c.apply(sink(alice(), person))!;
    expect(r.key).toBe(1);
    expect(r.keySchema!.type).toBe('int32');
    expect(c.apply(sink({ id: 'k7', x: 1 }))!.key).toBe('k7');
  });

  it('HoistField wraps and Flatten flattens nested structs and maps', () => {
    const h = chain({ transforms: 'h', 'transforms.h.type': `${T}HoistField$Value`, 'transforms.h.field': 'line' });
    const r = h.apply(sink('hello', Schemas.STRING))!;
    expect((r.value as Struct).get('line')).toBe('hello');
    expect(h.apply(sink('hello'))!.value).toEqual({ line: 'hello' });
    const f = chain({ transforms: 'f', 'transforms.f.type': `${T}Flatten$Value`, 'transforms.f.delimiter': '_' });
    const fr = f.apply(sink(alice(), person))!;
    expect(fr.valueSchema!.fields!.map((x) => x.name)).toEqual(['id', 'name', 'ssn', 'address_city', 'address_zip']);
    expect(fr.valueSchema!.fields![3]!.schema.optional).toBe(true);
    expect((fr.value as Struct).get('address_city')).toBe('Oslo');
    expect(f.apply(sink({ a: { b: { c: 1 } }, d: 2 }))!.value).toEqual({ a_b_c: 1, d: 2 });
  });

  it('Cast casts fields and whole values', () => {
    const c = chain({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'id:string,price:float64,ok:boolean' });
    expect(c.apply(sink({ id: 5, price: '2.5', ok: 1 }))!.value).toEqual({ id: '5', price: 2.5, ok: true });
    const w = chain({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'int8' });
    const r = w.apply(sink(300, Schemas.INT32))!;
    expect([r.value, r.valueSchema!.type]).toEqual([44, 'int8']);
    expect(() => chain({ transforms: 'c', 'transforms.c.type': `${T}Cast$Value`, 'transforms.c.spec': 'id:uuid' })).toThrow(/Invalid type found in casting spec: uuid/);
  });

  it('TimestampConverter turns a unix field into a formatted string and a Timestamp', () => {
    const c = chain({ transforms: 't', 'transforms.t.type': `${T}TimestampConverter$Value`, 'transforms.t.field': 'at', 'transforms.t.target.type': 'string', 'transforms.t.format': 'yyyy-MM-dd HH:mm:ss' });
    expect(c.apply(sink({ at: Date.UTC(2024, 0, 2, 3, 4, 5) }))!.value).toEqual({ at: '2024-01-02 03:04:05' });
    const back = chain({ transforms: 't', 'transforms.t.type': `${T}TimestampConverter$Value`, 'transforms.t.field': 'at', 'transforms.t.target.type': 'unix', 'transforms.t.format': 'yyyy-MM-dd HH:mm:ss' });
    expect(back.apply(sink({ at: '2024-01-02 03:04:05' }))!.value).toEqual({ at: Date.UTC(2024, 0, 2, 3, 4, 5) });
    const s = Schemas.struct([['at', Schemas.INT64]]);
    const ts = chain({ transforms: 't', 'transforms.t.type': `${T}TimestampConverter$Value`, 'transforms.t.field': 'at', 'transforms.t.target.type': 'Timestamp' });
    const r = ts.apply(sink(new Struct(s).put('at', 1000), s))!;
    expect(r.valueSchema!.fields![0]!.schema).toEqual(Logical.timestamp(true));
    expect(((r.value as Struct).get('at') as Date).getTime()).toBe(1000);
  });

  it('RegexRouter and TimestampRouter rename topics', () => {
    const rr = chain({ transforms: 'r', 'transforms.r.type': `${T}RegexRouter`, 'transforms.r.regex': '(.*)ders', 'transforms.r.replacement': 'archive-$1' });
    expect(rr.apply(sink({}))!.topic).toBe('archive-or');
    expect(rr.apply(sink({}, null, { topic: 'orders-x' }))!.topic).toBe('orders-x'); // matches() needs the whole name
    const tr = chain({ transforms: 't', 'transforms.t.type': `${T}TimestampRouter` });
    expect(tr.apply(sink({}))!.topic).toBe('orders-20240506');
    const tr2 = chain({ transforms: 't', 'transforms.t.type': `${T}TimestampRouter`, 'transforms.t.topic.format': 'x_${topic}_${timestamp}', 'transforms.t.timestamp.format': "yyyy'w'MM" });
    expect(tr2.apply(sink({}))!.topic).toBe('x_orders_2024w05');
  });

  it('Filter with predicates, negate, and the three predicates', () => {
    const c = chain({
      transforms: 'dropTombstones,onlyOrders,dropTraced',
      'transforms.dropTombstones.type': `${T}Filter`,
      'transforms.dropTombstones.predicate': 'isTombstone',
      'transforms.onlyOrders.type': `${T}Filter`,
      'transforms.onlyOrders.predicate': 'isOrders',
      'transforms.onlyOrders.negate': 'true',
      'transforms.dropTraced.type': `${T}Filter`,
      'transforms.dropTraced.predicate': 'traced',
      predicates: 'isTombstone,isOrders,traced',
      'predicates.isTombstone.type': `${P}RecordIsTombstone`,
      'predicates.isOrders.type': `${P}TopicNameMatches`,
      'predicates.isOrders.pattern': 'ord.*',
      'predicates.traced.type': `${P}HasHeaderKey`,
      'predicates.traced.name': 'trace-id',
    });
    expect(c.apply(sink(null))).toBeNull();
    expect(c.apply(sink({ a: 1 }, null, { topic: 'payments' }))).toBeNull();
    expect(c.apply(sink({ a: 1 }, null, { headers: [{ key: 'trace-id', value: Buffer.from('x') }] }))).toBeNull();
    expect(c.apply(sink({ a: 1 }))!.value).toEqual({ a: 1 });
  });

  it('names what is wrong in a chain’s config', () => {
    expect(() => chain({ transforms: 'x' })).toThrow(/"transforms.x.type"/);
    expect(() => chain({ transforms: 'x', 'transforms.x.type': 'com.example.Nope' })).toThrow(/Class com.example.Nope could not be found/);
    expect(() => chain({ transforms: 'x', 'transforms.x.type': `${T}Filter`, 'transforms.x.predicate': 'p' })).toThrow(/predicate is not defined/);
    expect(() => chain({ transforms: 'x', 'transforms.x.type': `${T}ExtractField$Value` })).toThrow(/"field"/);
  });

  it('schemaful transforms refuse a schemaless value with Kafka’s message', () => {
    const c = chain({ transforms: 'r', 'transforms.r.type': `${T}ReplaceField$Value`, 'transforms.r.exclude': 'a' });
    expect(() => c.apply(sink('plain text'))).toThrow(/Only Map objects supported in absence of schema for \[field replacement\]/);
  });
});
