/**
 * The battle model (src/domain/pk/battle.ts) as clients see it: projected onto the schema state
 * after every decision. Only fields that changed are assigned, so a patch carries only what moved.
 */
import { type Battle, hostViews } from '../../domain/pk/battle';
import { PkGifter, type PkHost, type PkBattleState } from '../../state/PkBattleState';

export function project(b: Battle, s: PkBattleState): void {
  if (s.battleId !== b.id) s.battleId = b.id;
  if (s.durationMinutes !== b.durationMinutes) s.durationMinutes = b.durationMinutes;
  if (s.status !== b.status) s.status = b.status;
  if (s.phase !== b.phase) s.phase = b.phase;
  if (s.inviteExpiresAt !== b.inviteExpiresAt) s.inviteExpiresAt = b.inviteExpiresAt;
  if (s.startsAt !== b.startsAt) s.startsAt = b.startsAt;
  if (s.endsAt !== b.endsAt) s.endsAt = b.endsAt;
  const winnerId = b.winnerId ?? '';
  if (s.winnerId !== winnerId) s.winnerId = winnerId;
  const [a, c] = hostViews(b);
  projectHost(a!, s.hostA);
  projectHost(c!, s.hostB);
}

function projectHost(v: ReturnType<typeof hostViews>[number], h: PkHost): void {
  if (h.id !== v.id) h.id = v.id;
  if (h.name !== v.name) h.name = v.name;
  if (h.score !== v.score) h.score = v.score;
  if (h.connected !== v.connected) h.connected = v.connected;
  v.topGifters.forEach((t, i) => {
    const cur = h.topGifters[i];
    if (!cur) h.topGifters.push(new PkGifter().assign(t));
    else if (cur.userId !== t.userId || cur.coins !== t.coins || cur.name !== t.name) cur.assign(t);
  });
}
