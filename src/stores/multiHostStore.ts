/** Multi-host sessions: the session row and its hosts. The room is the live authority; this is the record. */
import type { DataSource, EntityManager } from 'typeorm';
import { ctx } from '../context';
import { inTransaction } from '../db/dataSource';

export interface SessionRow {
  id: string;
  /** Equal to `id` once a room claimed the session (a session's room id is its id). */
  roomId: string | null;
  title: string;
  type: string;
  layout: string;
  status: string;
  primaryHost: string;
  primaryHostName: string;
  maxHosts: number;
  peakViewers: number;
  layoutsUsed: string[];
  endReason: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export interface HostRecord {
  userId: string;
  role: string;
  joinedAt: number;
  leftAt: number | null;
  secondsOnStage: number;
}

/** Columns of `multihost_sessions` joined with the primary host's name, as pg returns them. */
interface SessionDbRow {
  id: string;
  room_id: string | null;
  title: string;
  type: string;
  layout: string;
  status: string;
  primary_host: string;
  primary_name: string;
  max_hosts: number;
  peak_viewers: number;
  layouts_used: string[];
  end_reason: string | null;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

interface HostDbRow {
  user_id: string;
  role: string;
  joined_at: Date;
  left_at: Date | null;
  seconds_on_stage: number;
}

interface InvitationDbRow {
  session_id: string;
  user_id: string;
  kind: InvitationKind;
  by_user: string;
  username: string;
  status: InvitationStatus;
  expires_at: Date;
}

const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
const SELECT = `SELECT s.*, u.username AS primary_name FROM multihost_sessions s JOIN users u ON u.id = s.primary_host`;

function toRow(r: SessionDbRow): SessionRow {
  return {
    id: r.id,
    roomId: r.room_id,
    title: r.title,
    type: r.type,
    layout: r.layout,
    status: r.status,
    primaryHost: r.primary_host,
    primaryHostName: r.primary_name,
    maxHosts: r.max_hosts,
    peakViewers: r.peak_viewers,
    layoutsUsed: r.layouts_used,
    endReason: r.end_reason,
    createdAt: iso(r.created_at)!,
    startedAt: iso(r.started_at),
    endedAt: iso(r.ended_at),
  };
}

const toHost = (r: HostDbRow): HostRecord => ({
  userId: r.user_id,
  role: r.role,
  joinedAt: new Date(r.joined_at).getTime(),
  leftAt: r.left_at ? new Date(r.left_at).getTime() : null,
  secondsOnStage: r.seconds_on_stage,
});

export type InvitationKind = 'invite' | 'request';
export type InvitationStatus = 'pending' | 'accepted' | 'declined' | 'denied' | 'expired' | 'cancelled' | 'interrupted';
/** An invitation to the stage (`invite`, by a host) or a request to join it (`request`, by the user). */
export interface Invitation {
  sessionId: string;
  userId: string;
  kind: InvitationKind;
  /** Who invited (invite) or the requester (request). */
  byUser: string;
  username: string;
  status: InvitationStatus;
  expiresAt: number;
}

const toInvitation = (r: InvitationDbRow): Invitation => ({
  sessionId: r.session_id,
  userId: r.user_id,
  kind: r.kind,
  byUser: r.by_user,
  username: r.username,
  status: r.status,
  expiresAt: new Date(r.expires_at).getTime(),
});

/** Every method takes an optional transaction manager (`em`) to join the caller's transaction. */
export class MultiHostStore {
  constructor(private readonly ds: DataSource) {}

  private db(em?: EntityManager): DataSource | EntityManager {
    return em ?? this.ds;
  }

  async create(
    s: { title: string; type: string; layout: string; primaryHost: string; maxHosts: number },
    em?: EntityManager,
  ): Promise<string> {
    const [row]: Array<{ id: string }> = await this.db(em).query(
      `INSERT INTO multihost_sessions (title, type, layout, status, primary_host, max_hosts, layouts_used)
       VALUES ($1, $2, $3, 'scheduled', $4, $5, $6::jsonb) RETURNING id`,
      [s.title, s.type, s.layout, s.primaryHost, s.maxHosts, JSON.stringify([s.layout])],
    );
    return row!.id;
  }

  /** Binds the room to its row only if no room was bound yet: false means another room already serves it. */
  async claimRoom(id: string, roomId: string, em?: EntityManager): Promise<boolean> {
    const [rows]: [unknown[]] = await this.db(em).query(
      'UPDATE multihost_sessions SET room_id = $2 WHERE id = $1 AND room_id IS NULL RETURNING id',
      [id, roomId],
    );
    return rows.length === 1;
  }

  async get(id: string, em?: EntityManager): Promise<SessionRow | null> {
    const [r]: SessionDbRow[] = await this.db(em).query(`${SELECT} WHERE s.id = $1`, [id]);
    return r ? toRow(r) : null;
  }

  async markLive(id: string, em?: EntityManager): Promise<void> {
    await this.db(em).query(
      `UPDATE multihost_sessions SET status = 'live', started_at = now() WHERE id = $1 AND status = 'scheduled'`,
      [id],
    );
  }

  async setLayout(id: string, layout: string, em?: EntityManager): Promise<void> {
    await this.db(em).query(
      `UPDATE multihost_sessions SET layout = $2::text,
         layouts_used = CASE WHEN layouts_used ? $2::text THEN layouts_used ELSE layouts_used || to_jsonb($2::text) END
       WHERE id = $1`,
      [id, layout],
    );
  }

  /** Ends the session and records every host's time on stage, in one transaction (the caller's, if given). */
  async finish(
    id: string,
    f: { status: 'ended' | 'interrupted'; reason: string; peakViewers: number; hosts: HostRecord[] },
    em?: EntityManager,
  ): Promise<void> {
    const write = async (tx: EntityManager) => {
      await tx.query(
        `UPDATE multihost_sessions SET status = $2, end_reason = $3, ended_at = now(), peak_viewers = GREATEST(peak_viewers, $4)
         WHERE id = $1 AND status IN ('scheduled', 'live')`,
        [id, f.status, f.reason, f.peakViewers],
      );
      // An interrupted session keeps them pending: the next start closes them and tells each user.
      if (f.status === 'ended') {
        await tx.query(
          `UPDATE multihost_invitations SET status = 'cancelled', closed_at = now() WHERE session_id = $1 AND status = 'pending'`,
          [id],
        );
      }
      for (const h of f.hosts) {
        await tx.query(
          `INSERT INTO multihost_hosts (session_id, user_id, role, joined_at, left_at, seconds_on_stage)
           VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (session_id, user_id) DO UPDATE SET role = $3, left_at = $5, seconds_on_stage = $6`,
          [id, h.userId, h.role, new Date(h.joinedAt), h.leftAt ? new Date(h.leftAt) : new Date(), h.secondsOnStage],
        );
      }
    };
    await (em ? write(em) : inTransaction(this.ds, write));
  }

  async activeList(page: number, limit: number, em?: EntityManager) {
    const rows: SessionDbRow[] = await this.db(em).query(
      `${SELECT} WHERE s.status = 'live' ORDER BY s.started_at DESC LIMIT $1 OFFSET $2`,
      [limit, (page - 1) * limit],
    );
    const [{ n }]: Array<{ n: number }> = await this.db(em).query(
      `SELECT count(*)::int AS n FROM multihost_sessions WHERE status = 'live'`,
    );
    return { items: rows.map(toRow), total: n };
  }

  /** Sessions the user created or hosted, newest first. */
  async userSessions(userId: string, page: number, limit: number, em?: EntityManager): Promise<SessionRow[]> {
    const rows: SessionDbRow[] = await this.db(em).query(
      `${SELECT} WHERE s.primary_host = $1 OR EXISTS (SELECT 1 FROM multihost_hosts h WHERE h.session_id = s.id AND h.user_id = $1)
       ORDER BY s.created_at DESC LIMIT $2 OFFSET $3`,
      [userId, limit, (page - 1) * limit],
    );
    return rows.map(toRow);
  }

  async hosts(id: string, em?: EntityManager): Promise<HostRecord[]> {
    const rows: HostDbRow[] = await this.db(em).query(
      'SELECT * FROM multihost_hosts WHERE session_id = $1 ORDER BY joined_at',
      [id],
    );
    return rows.map(toHost);
  }

  // --- invitations and join requests ------------------------------------------------

  /** Opens (or renews) a pending invitation or join request. */
  async openInvitation(i: Omit<Invitation, 'status'>, em?: EntityManager): Promise<void> {
    await this.db(em).query(
      `INSERT INTO multihost_invitations (session_id, user_id, kind, by_user, username, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (session_id, user_id, kind) WHERE status = 'pending'
       DO UPDATE SET by_user = EXCLUDED.by_user, expires_at = EXCLUDED.expires_at`,
      [i.sessionId, i.userId, i.kind, i.byUser, i.username, new Date(i.expiresAt)],
    );
  }

  /** Closes one pending invitation or request; false when none was pending. */
  async closeInvitation(
    sessionId: string,
    userId: string,
    kind: InvitationKind,
    status: Exclude<InvitationStatus, 'pending'>,
    em?: EntityManager,
  ): Promise<boolean> {
    const [rows]: [unknown[]] = await this.db(em).query(
      `UPDATE multihost_invitations SET status = $4, closed_at = now()
       WHERE session_id = $1 AND user_id = $2 AND kind = $3 AND status = 'pending' RETURNING id`,
      [sessionId, userId, kind, status],
    );
    return rows.length > 0;
  }

  async pendingInvitations(sessionId: string, em?: EntityManager): Promise<Invitation[]> {
    const rows: InvitationDbRow[] = await this.db(em).query(
      `SELECT * FROM multihost_invitations WHERE session_id = $1 AND status = 'pending' ORDER BY created_at`,
      [sessionId],
    );
    return rows.map(toInvitation);
  }

  /**
   * Pending invitations of sessions that are no longer open (ended, or closed as interrupted after a
   * restart) are closed as `interrupted` and returned, so their users can be told rather than left waiting.
   */
  async closeOrphanInvitations(em?: EntityManager): Promise<Invitation[]> {
    const [rows]: [InvitationDbRow[]] = await this.db(em).query(
      `UPDATE multihost_invitations i SET status = 'interrupted', closed_at = now()
         FROM multihost_sessions s
        WHERE s.id = i.session_id AND i.status = 'pending' AND s.status NOT IN ('scheduled', 'live')
        RETURNING i.*`,
    );
    return rows.map(toInvitation);
  }

  async recoverOrphans(roomAlive: (roomId: string) => Promise<boolean>, em?: EntityManager): Promise<number> {
    const rows: Array<{ id: string; room_id: string | null }> = await this.db(em).query(
      `SELECT id, room_id FROM multihost_sessions WHERE status IN ('scheduled', 'live')`,
    );
    let closed = 0;
    for (const r of rows) {
      if (r.room_id && (await roomAlive(r.room_id))) continue;
      await this.db(em).query(
        `UPDATE multihost_sessions SET status = 'interrupted', end_reason = 'interrupted', ended_at = now() WHERE id = $1`,
        [r.id],
      );
      closed++;
    }
    return closed;
  }
}

let cached: { ds: DataSource; store: MultiHostStore } | undefined;
export function multiHostStore(): MultiHostStore {
  const c = ctx();
  if (cached?.ds !== c.ds) cached = { ds: c.ds, store: new MultiHostStore(c.ds) };
  return cached.store;
}
