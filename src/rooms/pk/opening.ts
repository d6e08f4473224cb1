/** What a battle room starts from: its pending row as the model's opening, the config's timings, its listing. */
import type { Config } from '../../config';
import type { BattleOpening, BattleSettings } from '../../domain/pk/battle';
import type { BattleRow } from '../../stores/pkStore';

export function openingOf(row: BattleRow): BattleOpening {
  return {
    id: row.id,
    durationMinutes: row.durationMinutes,
    hostA: { id: row.hostA, name: row.hostAName },
    hostB: { id: row.hostB, name: row.hostBName },
  };
}

export function battleSettings(c: Config): BattleSettings {
  return {
    inviteTimeoutMs: c.PK_INVITE_TIMEOUT_MS,
    countdownMs: c.PK_COUNTDOWN_MS,
    minuteMs: c.PK_MINUTE_MS,
    reconnectGraceMs: c.PK_RECONNECT_GRACE_MS,
    resultPhaseMs: c.PK_RESULT_PHASE_MS,
    hostShare: c.PK_HOST_SHARE,
  };
}

/** The room's listing (matchmaker metadata; /monitor shows title, host, viewerCount). */
export function listingOf(row: BattleRow): Record<string, unknown> {
  return {
    battleId: row.id,
    hostA: row.hostA,
    hostB: row.hostB,
    status: row.status,
    title: `PK: ${row.hostAName} vs ${row.hostBName}`,
    host: `${row.hostAName}, ${row.hostBName}`,
    viewerCount: 0,
  };
}
