/**
 * Records of Kafka's cluster metadata (KRaft's metadata log; kstream's metadata store and data-dir files)
 * in the shape kstream stores them: enums by their Kafka names (`"TOPIC"`, `"LITERAL"`, `"READ"`,
 * `"ALLOW"`), so a stored value reads well and the layer that stores it needs no types of the layer that
 * interprets it. Here, below both, because src/cluster (the metadata store) and src/security (the
 * authorizer's acls.json, SCRAM credentials) each hold them; each reader validates what it reads.
 */

/** One ACL (Kafka's AccessControlEntryRecord). */
export type AclRecord = {
  resourceType: string;
  resourceName: string;
  patternType: string;
  principal: string;
  host: string;
  operation: string;
  permissionType: string;
};

/**
 * One user's SCRAM credential for one mechanism (Kafka's UserScramCredentialRecord), as Kafka's
 * credential string `salt=…,stored_key=…,server_key=…,iterations=…` — never a password.
 */
export type ScramRecord = { user: string; mechanism: string; credential: string };

/**
 * One client quota value (Kafka's ClientQuotaRecord): an entity (entity type → name, null for the
 * type's default, e.g. `{ user: 'alice', 'client-id': null }`), a quota key and its value. The broker's
 * quota layer validates what it reads. In a delete event the value is 0 (only the key is left).
 */
export type ClientQuotaRecord = { entity: Readonly<Record<string, string | null>>; key: string; value: number };
