/**
 * What cluster mode adds to a broker, behind one dynamic import: startBroker loads this module only when
 * `metadata.store` names a store (or a test hands one in), so a single node never loads the metadata
 * store clients, the controller, replica fetchers, inter-broker TLS/SASL or the coordinator election —
 * about forty modules it would never run (start-up time, issue #12).
 */
export { metadataStoreFromSetting } from '../cluster/stores.ts';
export { ClusterMode } from './cluster-mode.ts';
export { withCoordinatorPlacement } from './coordinator-placement.ts';
export { ClusterCoordinatorWriteGuard, CoordinatorElection } from './coordinator-election.ts';
export { ClusterTransactionMarkerWriter, clusterMarkerReplication } from './cluster-transaction-markers.ts';
export { clusterProducerIdSource } from './cluster-producer-ids.ts';
export { ClusterAclStore } from './cluster-acl-store.ts';
export { ClusterScramCredentials } from './cluster-scram-credentials.ts';
export { attachClusterClientQuotas } from './cluster-client-quotas.ts';
export { buildInterBrokerSecurity } from '../security/inter-broker.ts';
