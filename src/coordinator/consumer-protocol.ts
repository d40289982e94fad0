/**
 * Reads the topic list out of a `ConsumerProtocolSubscription` (the JoinGroup metadata of protocol
 * type "consumer"). The broker otherwise treats member metadata as opaque; OffsetDelete needs the
 * topics to answer GROUP_SUBSCRIBED_TO_TOPIC. Layout (never flexible, every version starts the same):
 * int16 version, int32 topic count, then int16-length-prefixed UTF-8 topic names.
 * Returns null when the bytes do not parse, so callers can be conservative.
 */
export function subscribedTopics(metadata: Buffer): string[] | null {
  try {
    if (metadata.length < 6) return null;
    let at = 2;
    const n = metadata.readInt32BE(at);
    at += 4;
    if (n < 0 || n > metadata.length) return null;
    const topics: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = metadata.readInt16BE(at);
      at += 2;
      if (len < 0 || at + len > metadata.length) return null;
      topics.push(metadata.toString('utf8', at, at + len));
      at += len;
    }
    return topics;
  } catch {
    return null;
  }
}
