/**
 * How HTTP reaches a battle's room: its room id is the battle id. When the room is gone, the
 * battle's row answers once: 404 when there is no such battle (or it still holds its hosts: its room
 * died and the next start closes it), otherwise 409 with its status.
 */
import { HOLDING_STATUSES } from '../../domain/pk/rules';
import { type AppError, invalidState, notFound } from '../../errors';
import { pkStore } from '../../stores/pkStore';
import { isUuid } from '../../validation';
import type { PkBattleRoom } from '../PkBattleRoom';
import { roomCaller } from '../roomCall';

/** A battle id from a path (its room has the same id); 404 when it cannot be one. */
export function battleIdOf(id: string): string {
  if (!isUuid(id)) throw notFound('Battle');
  return id;
}

function battleGone(suffix = '') {
  return async (id: string): Promise<AppError> => {
    const row = isUuid(id) ? await pkStore().getBattle(id) : null;
    if (!row || HOLDING_STATUSES.includes(row.status)) return notFound('Battle');
    return invalidState(`Battle is ${row.status}${suffix}`);
  };
}

/** accept, decline, cancel, media setup. */
export const battleRoom = roomCaller<PkBattleRoom>('pk_battle', 'Battle', battleGone());
/** Gifts: a battle that is over answers "Battle is ended, not live". */
export const giftRoom = roomCaller<PkBattleRoom>('pk_battle', 'Battle', battleGone(', not live'));
/** Reads (a snapshot of a live battle): a room that is gone is simply not live. */
export const battleReader = roomCaller<PkBattleRoom>('pk_battle', 'Battle');
