/**
 * Where a gift is scored. What a gift is worth and how its coins split between host and platform
 * (`giftValue`), and what a committed gift does to the live battle (`scoreGift`): the receiving
 * host's score, the sender's contribution to that side, the side's top gifters, and the item the
 * next `pk-battle:gift` announces. Pure: no I/O, no clock.
 *
 * A gift scores only once it is committed (the room hands `scoreGift` the commit's record), and
 * only once per `sender:requestId` (a replay the room already scored moves nothing).
 */
import { PMap } from '../pmap';
import type { GiftEvent, GiftEventItem } from './protocol';
import { type Contribution, splitGift, topContributors } from './rules';

/** A gift of the catalog (GET /api/gifts). */
export interface CatalogGift {
  id: string;
  name: string;
  coins: number;
  animationKey: string;
}

export interface GiftValue {
  /** What the sender pays: unit price × count. */
  coins: number;
  /** The receiving host's share, rounded down. */
  hostCoins: number;
  /** The rest: no coin is lost to rounding. */
  platformCoins: number;
}

/** The coin value of `count` gifts at `unitCoins` each and its host/platform split (host gets `hostShare`, rounded down). */
export function giftValue(unitCoins: number, count: number, hostShare: number): GiftValue {
  const coins = unitCoins * count;
  return { coins, ...splitGift(coins, hostShare) };
}

/** Who sent a gift, as the room knows them from their token. */
export interface Sender {
  id: string;
  username: string;
}

/** What the commit answered for one gift (a replay answers the first commit's values). */
export interface CommittedGift {
  giftId: string;
  recipientId: string;
  count: number;
  coins: number;
  requestId: string;
}

/** One host's side of the live score. */
export interface Side {
  score: number;
  /** Each viewer's giving to this side, by user id. */
  gifters: PMap<Contribution>;
  /** The three viewers who gave this side the most, earliest first on ties. */
  top: readonly Contribution[];
}

/** The live score of a battle: a side per host, the order of first gifts (for ties), what is on the score. */
export interface Tally {
  sides: Readonly<Record<string, Side>>;
  seq: number;
  /** `sender:requestId` of every gift on the score. */
  scored: PMap<true>;
}

export const TOP_GIFTERS = 3;

export function emptyTally(hosts: readonly string[]): Tally {
  const sides: Record<string, Side> = {};
  for (const h of hosts) sides[h] = { score: 0, gifters: PMap.empty(), top: [] };
  return { sides, seq: 0, scored: PMap.empty() };
}

/**
 * Scores one committed gift: null when this sender's requestId is already on the score (a retry),
 * or when it names no side of this battle. Otherwise the new tally and the event item to announce.
 */
export function scoreGift(t: Tally, sender: Sender, gift: CommittedGift): { tally: Tally; item: GiftEventItem } | null {
  const side = t.sides[gift.recipientId];
  const key = `${sender.id}:${gift.requestId}`;
  if (!side || t.scored.get(key)) return null;
  const before = side.gifters.get(sender.id);
  const gifter: Contribution = {
    userId: sender.id,
    name: sender.username,
    coins: (before?.coins ?? 0) + gift.coins,
    firstAt: before?.firstAt ?? t.seq,
  };
  // A contribution only grows, so the new top is the old top with this gifter re-placed: no scan of every gifter.
  const top = topContributors([...side.top.filter((c) => c.userId !== sender.id), gifter], TOP_GIFTERS);
  const gifters = side.gifters.set(sender.id, gifter);
  return {
    tally: {
      sides: { ...t.sides, [gift.recipientId]: { score: side.score + gift.coins, gifters, top } },
      seq: before ? t.seq : t.seq + 1,
      scored: t.scored.set(key, true),
    },
    item: {
      giftId: gift.giftId,
      count: gift.count,
      from: { id: sender.id, username: sender.username },
      to: gift.recipientId,
      coins: gift.coins,
      requestId: gift.requestId,
    },
  };
}

/** Score per host id. */
export function scoresOf(t: Tally): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [h, side] of Object.entries(t.sides)) out[h] = side.score;
  return out;
}

/** The tally with each side's score replaced by the stored result's (the committed gift rows). */
export function withScores(t: Tally, scores: Record<string, number>): Tally {
  const sides: Record<string, Side> = {};
  for (const [h, side] of Object.entries(t.sides)) sides[h] = { ...side, score: scores[h] ?? 0 };
  return { ...t, sides };
}

/** One `pk-battle:gift` for the gifts scored since the last one: the newest on top, all of them in `gifts`. */
export function giftEvent(
  battleId: string,
  catalog: ReadonlyMap<string, CatalogGift>,
  items: readonly GiftEventItem[],
  scores: Record<string, number>,
): GiftEvent | null {
  const last = items[items.length - 1];
  const g = last && catalog.get(last.giftId);
  if (!last || !g) return null;
  return {
    battleId,
    gift: { id: g.id, name: g.name, coins: g.coins, animationKey: g.animationKey, count: last.count },
    from: last.from,
    to: last.to,
    coins: last.coins,
    requestId: last.requestId,
    scores,
    gifts: [...items],
  };
}
