import type { Redis } from "ioredis";
import type { CacheEntry, LayerHit } from "../../src/index.ts";
import { FORMAT_VERSION, decodeEntry, encodeEntry } from "./codec.ts";
import type { Client } from "./connect.ts";
import { GetBatch } from "./get-batch.ts";
import { RELEASE_IF_HELD, waitersOf, type Fence } from "./lock.ts";
import { Pool } from "./pool.ts";

/**
 * SET the entry with PX and add its id to each tag's set, whose expiry is stretched to the longest
 * member's. KEYS = entry key, tag keys; ARGV = payload, ttl ms ("0": none), id.
 */
const SET_TAGGED = `
local px = tonumber(ARGV[2])
if px > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', px) else redis.call('SET', KEYS[1], ARGV[1]) end
for i = 2, #KEYS do
  local existed = redis.call('EXISTS', KEYS[i])
  redis.call('SADD', KEYS[i], ARGV[3])
  local ttl = redis.call('PTTL', KEYS[i])
  if px == 0 then redis.call('PERSIST', KEYS[i])
  elseif existed == 0 or (ttl >= 0 and ttl < px) then redis.call('PEXPIRE', KEYS[i], px) end
end`;

/**
 * SET_TAGGED for a back-fill, by the rule of `backfillLoses`: skipped only when the key holds an entry
 * with the same digest and the same or a later write stamp (stamp and digest are the array's second
 * and third elements, so they are read without decoding the value); 1 when written. Same KEYS; ARGV
 * adds the entry's stamp and digest. In a cluster it gets the entry key alone.
 */
const SET_IF_NEWER = `
local current = redis.call('GET', KEYS[1])
if current then
  local stamp, digest = string.match(current, '^%[${FORMAT_VERSION},(%d+),"([^"]*)",')
  if stamp and digest == ARGV[5] and tonumber(stamp) >= tonumber(ARGV[4]) then return 0 end
end
${SET_TAGGED}
return 1`;

/** Remove every entry of one tag and the tag's set, atomically. KEYS = tag key; ARGV = entry key prefix. */
const INVALIDATE_TAG = `
local ids = redis.call('SMEMBERS', KEYS[1])
for i = 1, #ids, 1000 do
  local batch = {}
  for j = i, math.min(i + 999, #ids) do batch[#batch + 1] = ARGV[1] .. ids[j] end
  redis.call('UNLINK', unpack(batch))
end
redis.call('UNLINK', KEYS[1])
return #ids`;

/**
 * SET_TAGGED as the last step of a load that holds the key's lock: only while the lock holds the
 * writer's token (a load whose lease expired writes nothing), releasing it and waking the waiters in
 * the same command. 1 when written, else 0. KEYS = RELEASE_IF_HELD's, then SET_TAGGED's; ARGV likewise.
 */
const FENCED_SET_TAGGED = `${RELEASE_IF_HELD}
local KEYS, ARGV = {unpack(KEYS, 3)}, {unpack(ARGV, 4)}
${SET_TAGGED}
return 1`;

type Scripted = Client & {
  ragFencedSet(keyCount: number, ...args: (string | number)[]): Promise<number>;
  ragSetTagged(keyCount: number, ...args: (string | number)[]): Promise<unknown>;
  ragSetIfNewer(keyCount: number, ...args: (string | number)[]): Promise<number>;
  ragInvalidateTag(tagKey: string, entryPrefix: string): Promise<number>;
};

/**
 * The Redis side of the layer. Entries live at `<prefix><namespace>:<hash>`, tag sets at
 * `<prefix>#tag:<tag>` ("#" never occurs in a namespace, so the two cannot collide). In a cluster the
 * entry and its tag sets sit in different slots, so there tagging and tag invalidation are plain
 * commands: per tag, the set's members are removed before the set, never atomically across slots.
 */
export function redisStore(
  pool: Pool,
  prefix: string,
  clustered: boolean,
  source: string,
  fenceOf: (id: string) => Fence | undefined = () => undefined,
) {
  const tagKey = (tag: string) => `${prefix}#tag:${tag}`;
  const pattern = prefix.replace(/[*?[\]\\]/g, "\\$&");
  const batch = clustered ? undefined : new GetBatch((command) => pool.run(command));
  for (const client of pool.clients) {
    client.defineCommand("ragSetIfNewer", { lua: SET_IF_NEWER });
    client.defineCommand("ragFencedSet", { lua: FENCED_SET_TAGGED });
  }
  if (!clustered) {
    for (const client of pool.clients) {
      client.defineCommand("ragSetTagged", { lua: SET_TAGGED });
      client.defineCommand("ragInvalidateTag", { numberOfKeys: 1, lua: INVALIDATE_TAG });
    }
  }

  async function setTaggedInCluster(
    client: Client,
    id: string,
    payload: string,
    px: number,
    tags: readonly string[],
  ): Promise<void> {
    await (px > 0 ? client.set(prefix + id, payload, "PX", px) : client.set(prefix + id, payload));
    await tagInCluster(client, id, px, tags);
  }

  function tagInCluster(client: Client, id: string, px: number, tags: readonly string[]): Promise<unknown> {
    return Promise.all(tags.map((tag) => client.sadd(tagKey(tag), id).then(() => stretchExpiry(client, tagKey(tag), px))));
  }

  async function setIfNewer(client: Scripted, id: string, payload: string, px: number, entry: CacheEntry): Promise<void> {
    const tags = entry.tags ?? [];
    const tagKeys = clustered ? [] : tags.map(tagKey);
    const keys = [prefix + id, ...tagKeys];
    const written = await client.ragSetIfNewer(keys.length, ...keys, payload, px, id, entry.stamp, entry.digest);
    if (written && clustered) await tagInCluster(client, id, px, tags);
  }

  /** In a cluster the lock, its flag and the entry share a slot, the tag sets do not: they are added once the entry is written. */
  async function fencedSet(client: Client, fence: Fence, id: string, payload: string, px: number, tags: readonly string[]) {
    const keys = [fence.lock, waitersOf(fence.lock), prefix + id, ...(clustered ? [] : tags.map(tagKey))];
    const args = [fence.token, fence.channel, fence.done, payload, px, id];
    const written = await (client as Scripted).ragFencedSet(keys.length, ...keys, ...args);
    if (!written) return fence.lost();
    fence.released();
    if (clustered && tags.length) await tagInCluster(client, id, px, tags);
  }

  /** NX gives a new set its first expiry, GT only ever lengthens it; 0 = a member never expires. */
  async function stretchExpiry(client: Client, key: string, px: number): Promise<void> {
    if (px === 0) return void (await client.persist(key));
    await client.pexpire(key, px, "NX");
    await client.pexpire(key, px, "GT");
  }

  async function invalidateTagInCluster(client: Client, tag: string): Promise<void> {
    const ids = await client.smembers(tagKey(tag));
    await Promise.all(ids.map((id) => client.unlink(prefix + id)));
    if (ids.length) await client.srem(tagKey(tag), ...ids);
  }

  /** One UNLINK per key: in a cluster the keys of one node still span slots (CROSSSLOT otherwise). */
  async function scanUnlink(node: Redis, match: string): Promise<void> {
    let cursor = "0";
    do {
      const [next, keys] = await node.scan(cursor, "MATCH", match, "COUNT", 1000);
      cursor = next;
      if (keys.length) await node.pipeline(keys.map((key) => ["unlink", key])).exec();
    } while (cursor !== "0");
  }

  return {
    /** The stored text; decoding is left to the caller so that a hit costs one promise step, not two. */
    get(id: string): Promise<string | null> {
      if (batch) return batch.get(prefix + id);
      return pool.run((client) => client.get(prefix + id));
    },
    decode(raw: string | null): LayerHit | undefined {
      return raw === null ? undefined : decodeEntry(raw, source);
    },
    /** `px` 0 = no expiry. `ifNewer` (back-fills): never over an entry of the same key written as late or later. */
    set(id: string, entry: CacheEntry, px: number, ifNewer = false): Promise<unknown> {
      const payload = encodeEntry(entry);
      const tags = entry.tags ?? [];
      if (ifNewer) return pool.write((client) => setIfNewer(client as Scripted, id, payload, px, entry));
      const fence = fenceOf(id);
      if (fence) return pool.write((client) => fencedSet(client, fence, id, payload, px, tags));
      if (!tags.length)
        return pool.write((client) => (px > 0 ? client.set(prefix + id, payload, "PX", px) : client.set(prefix + id, payload)));
      if (clustered) return pool.write((client) => setTaggedInCluster(client, id, payload, px, tags));
      return pool.write((client) =>
        (client as Scripted).ragSetTagged(1 + tags.length, prefix + id, ...tags.map(tagKey), payload, px, id),
      );
    },
    delete(ids: readonly string[]): Promise<unknown> {
      if (!ids.length) return Promise.resolve();
      return pool.write<unknown>((client) =>
        clustered ? Promise.all(ids.map((id) => client.unlink(prefix + id))) : client.unlink(...ids.map((id) => prefix + id)),
      );
    },
    invalidateTags(tags: readonly string[]): Promise<unknown> {
      return Promise.all(
        tags.map((tag) =>
          pool.write<unknown>((client) =>
            clustered ? invalidateTagInCluster(client, tag) : (client as Scripted).ragInvalidateTag(tagKey(tag), prefix),
          ),
        ),
      );
    },
    /** SCAN + UNLINK on every node: one namespace's entries, or everything under the prefix. */
    async clear(namespace?: string): Promise<void> {
      const match = namespace === undefined ? `${pattern}*` : `${pattern}${namespace}:*`;
      await pool.write((client) => Promise.all(Pool.nodesOf(client).map((node) => scanUnlink(node, match))));
    },
    publish(channel: string, message: string): Promise<unknown> {
      return pool.write((client) => client.publish(channel, message));
    },
    /** Subscribers of a pub/sub channel on this server (PUBSUB NUMSUB); housekeeping, outside the pool's accounting. */
    subscribers(channel: string): Promise<number> {
      return pool.untracked((client) => client.pubsub("NUMSUB", channel)).then((reply) => Number((reply as unknown[])[1] ?? 0));
    },
    /** A bus message that is not an invalidation (a hello); housekeeping, outside the pool's accounting. */
    announce(channel: string, message: string): Promise<unknown> {
      return pool.untracked((client) => client.publish(channel, message));
    },
  };
}

export type RedisStore = ReturnType<typeof redisStore>;
