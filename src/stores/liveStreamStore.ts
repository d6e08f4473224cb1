/** Solo live streams: a row per stream, closed when the room ends (or found orphaned at start). */
import type { DataSource } from 'typeorm';
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

export class LiveStreamStore {
  constructor(private readonly ds: DataSource) {}

  async create(id: string, hostId: string, title: string): Promise<void> {
    await this.ds.query(`INSERT INTO live_streams (id, host_id, title, status) VALUES ($1, $2, $3, 'live')`, [
      id,
      hostId,
      title,
    ]);
  }

  async get(id: string): Promise<LiveStreamRow | null> {
    const [r] = await this.ds.query(
      `SELECT s.*, u.username FROM live_streams s JOIN users u ON u.id = s.host_id WHERE s.id = $1`,
      [id],
    );
    if (!r) return null;
    return {
      id: r.id,
      hostId: r.host_id,
      hostName: r.username,
      title: r.title,
      status: r.status,
      peakViewers: r.peak_viewers,
      startedAt: new Date(r.started_at).toISOString(),
      endedAt: r.ended_at ? new Date(r.ended_at).toISOString() : null,
    };
  }

  async end(id: string, peakViewers: number, status: 'ended' | 'interrupted' = 'ended'): Promise<void> {
    await this.ds.query(
      `UPDATE live_streams SET status = $3, ended_at = now(), peak_viewers = GREATEST(peak_viewers, $2) WHERE id = $1 AND status = 'live'`,
      [id, peakViewers, status],
    );
  }

  async recoverOrphans(roomAlive: (roomId: string) => Promise<boolean>): Promise<number> {
    const rows = await this.ds.query(`SELECT id FROM live_streams WHERE status = 'live'`);
    let closed = 0;
    for (const r of rows) {
      if (await roomAlive(r.id)) continue;
      await this.end(r.id, 0, 'interrupted');
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
