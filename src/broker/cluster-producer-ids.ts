/**
 * Cluster mode: producer-id blocks come from the metadata store (Kafka's AllocateProducerIds to the
 * controller, ZooKeeper-mode Kafka's /latest_producer_id_block), never from a broker's own data dir:
 * every broker's InitProducerId and every transaction coordinator draw from one sequence, so no two
 * producers in the cluster ever share an id — whichever broker they asked, and across coordinator
 * failover.
 */
import type { MetadataStore } from '../cluster/metadata-store.ts';
import { ProducerIdBlockUnavailableError, type ProducerIdBlockSource } from '../coordinator/producer-ids.ts';
import type { Logger } from './logger.ts';

export function clusterProducerIdSource(store: MetadataStore, nodeId: number, logger: Logger): ProducerIdBlockSource {
  return {
    async nextBlock(size) {
      const block = await store.allocateProducerIdBlock(nodeId, size).catch((e: unknown) => {
        throw new ProducerIdBlockUnavailableError(`no producer-id block from the metadata store: ${(e as Error).message}`);
      });
      logger.info(`producer ids: block ${block.firstProducerId}..${block.firstProducerId + BigInt(block.size) - 1n} allocated to broker ${nodeId}`);
      return block.firstProducerId;
    },
    async everIssued(id) {
      const latest = await store.latestProducerIdBlock().catch((e: unknown) => {
        throw new ProducerIdBlockUnavailableError(`cannot read the latest producer-id block: ${(e as Error).message}`);
      });
      return latest !== null && id < latest.firstProducerId + BigInt(latest.size);
    },
  };
}
