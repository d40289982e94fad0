/**
 * Picks the metadata store from the `metadata.store` setting: absent/`local` → in-process single node
 * (zero-config `kstream serve`); `etcd://h:p[,h:p…]` → etcd.
 */
import { randomBytes } from 'node:crypto';
import { EtcdKv, parseEtcdEndpoints } from './etcd-kv.ts';
import { KvMetadataStore } from './kv-metadata-store.ts';
import { MemoryKv, type Clock } from './memory-kv.ts';
import { MetadataStoreError } from './metadata-store.ts';

export function createLocalMetadataStore(clock?: Clock): { store: KvMetadataStore; kv: MemoryKv } {
  const kv = new MemoryKv(clock);
  return { store: new KvMetadataStore(kv), kv };
}

export function createEtcdMetadataStore(spec: string, clusterName = 'default'): KvMetadataStore {
  return new KvMetadataStore(new EtcdKv({ endpoints: parseEtcdEndpoints(spec) }), clusterName);
}

/** `metadata.store` value → store. */
export function metadataStoreFromSetting(value: string | undefined, clusterName = 'default'): KvMetadataStore {
  if (value === undefined || value === '' || value === 'local') {
    const { store, kv } = createLocalMetadataStore();
    kv.startLeaseExpiry();
    return store;
  }
  if (value.startsWith('etcd://')) return createEtcdMetadataStore(value, clusterName);
  throw new MetadataStoreError(`metadata.store "${value}" is not understood: use "local" or etcd://host:port[,host:port...]`);
}

/** A fresh Kafka-style topic id: 16 random bytes, url-safe base64 without padding (22 chars). */
export function newTopicId(): string {
  return randomBytes(16).toString('base64url');
}
