/** Solo live streams: a row per stream (its id is the room's id), closed when the room ends (or found orphaned at start). */
import type { DataSource, EntityManager } from 'typeorm';
import { ctx } from '../context';

export interface LiveStreamRow {
  id: string;
  hostId: string;
  hostName: string;
  title: string;
  status: string;
  peakViewers: number;
  startedAt: string;
  endedAt: string | null;
}

/** `live_streams` joined with the host's name, as pg returns it. */
interface LiveStreamDbRow {
  id: string;
  host_id: string;
  username: string;
  title: string;
  status: string;
  peak_viewers: number;
  started_at: Date;
  ended_at: Date | null;
}

const toRow = (r: LiveStreamDbRow): LiveStreamRow => ({
  id: r.id,
  hostId: r.host_id,
  hostName: r.username,
  title: r.title,
  status: r.status,
  peakViewers: r.peak_viewers,
  startedAt: new Date(r.started_at).toISOString(),
  endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
});

/** Every method takes an optional transaction manager (`em`) to join the caller's transaction. */
export class LiveStreamStore {
  constructor(private readonly ds: DataSource) {}

  private db(em?: EntityManager): DataSource | EntityManager {
    return em ?? this.ds;
  }

  async create(id: string, hostId: string, title: string, em?: EntityManager): Promise<void> {
    await this.db(em).query(`INSERT INTO live_streams (id, host_id, title, status) VALUES ($1, $2, $3, 'live')`, [
      id,
      hostId,
      title,
    ]);
  }

  async get(id: string, em?: EntityManager): Promise<LiveStreamRow | null> {
    const [r]: LiveStreamDbRow[] = await this.db(em).query(
      `SELECT s.*, u.username FROM live_streams s JOIN users u ON u.id = s.host_id WHERE s.id = $1`,
      [id],
    );
    return r ? toRow(r) : null;
  }

  async end(
    id: string,
    peakViewers: number,
    status: 'ended' | 'interrupted' = 'ended',
    em?: EntityManager,
  ): Promise<void> {
    await this.db(em).query(
      `UPDATE live_streams SET status = $3, ended_at = now(), peak_viewers = GREATEST(peak_viewers, $2) WHERE id = $1 AND status = 'live'`,
      [id, peakViewers, status],
    );
  }

  async recoverOrphans(roomAlive: (roomId: string) => Promise<boolean>, em?: EntityManager): Promise<number> {
    const rows: Array<{ id: string }> = await this.db(em).query(`SELECT id FROM live_streams WHERE status = 'live'`);
    let closed = 0;
    for (const r of rows) {
      if (await roomAlive(r.id)) continue;
      await this.end(r.id, 0, 'interrupted', em);
      closed++;
    }
    return closed;
  }
}

let cached: { ds: DataSource; store: LiveStreamStore } | undefined;
export function liveStreamStore(): LiveStreamStore {
  const c = ctx();
  if (cached?.ds !== c.ds) cached = { ds: c.ds, store: new LiveStreamStore(c.ds) };
  return cached.store;
}
