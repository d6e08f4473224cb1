/**
 * A small immutable string-keyed map with structural sharing: `set` copies two 32-slot arrays and one
 * small bucket instead of the whole map, so a battle model that stays pure (every decision returns a
 * new state) still scores a gift in constant time with thousands of gifters and gifts. Keys are spread
 * over 1,024 buckets by a 32-bit FNV-1a hash.
 */
const WIDTH = 32;
const MASK = WIDTH - 1;

type Bucket<V> = ReadonlyMap<string, V>;
type Level<V> = ReadonlyArray<Bucket<V> | undefined>;

export interface PMap<V> {
  readonly size: number;
  readonly root: ReadonlyArray<Level<V> | undefined>;
}

export function emptyPMap<V>(): PMap<V> {
  return { size: 0, root: [] };
}

function hash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function pget<V>(m: PMap<V>, key: string): V | undefined {
  const h = hash(key);
  return m.root[h & MASK]?.[(h >>> 5) & MASK]?.get(key);
}

/** A new map with `key` set to `value`; `m` is unchanged. */
export function pset<V>(m: PMap<V>, key: string, value: V): PMap<V> {
  const h = hash(key);
  const i = h & MASK;
  const j = (h >>> 5) & MASK;
  const level = m.root[i] ?? [];
  const bucket = level[j];
  const next = new Map(bucket ?? []).set(key, value);
  const newLevel = level.slice();
  newLevel[j] = next;
  const root = m.root.slice();
  root[i] = newLevel;
  return { size: m.size + (bucket?.has(key) ? 0 : 1), root };
}

export function* pvalues<V>(m: PMap<V>): Generator<V> {
  for (const level of m.root) {
    if (!level) continue;
    for (const bucket of level) if (bucket) yield* bucket.values();
  }
}
