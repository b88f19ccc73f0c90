/**
 * Splitting a study's grid over N shards (docs/cluster.md). The unit is a group of cells that share one
 * reference (a setting × distribution), so no two shards compute the same reference. Groups go, largest
 * estimated work first, to the shard with the least work so far (ties: the lower shard, then plan order):
 * deterministic for given flags, so every shard process computes the same split on its own.
 */
export interface WorkGroup {
  key: string;
  /** Estimated work, in any unit proportional to time (e.g. rows × S × (m·n + n)). */
  work: number;
}

/** The 0-based shard of every group, in the order of `groups`. */
export function assignShards(groups: readonly WorkGroup[], count: number): number[] {
  const order = groups.map((g, i) => i).sort((a, b) => groups[b].work - groups[a].work || a - b);
  const load = new Array<number>(count).fill(0);
  const shard = new Array<number>(groups.length);
  for (const i of order) {
    let best = 0;
    for (let s = 1; s < count; s++) if (load[s] < load[best]) best = s;
    shard[i] = best;
    load[best] += groups[i].work;
  }
  return shard;
}

/** The keys of the groups that shard `index` (1-based) of `count` computes. */
export function shardGroups(groups: readonly WorkGroup[], index: number, count: number): Set<string> {
  const shard = assignShards(groups, count);
  return new Set(groups.filter((_, i) => shard[i] === index - 1).map((g) => g.key));
}
