/**
 * Notifications addressed to one user (invites, approvals, results). Each is stored,
 * then published on the presence channel `inbox:<userId>`: with Redis presence it
 * reaches the user's inbox room on whichever process holds it.
 */
import type { Presence } from '@colyseus/core';
import type { DataSource } from 'typeorm';
import { Notification } from '../entities/Notification';

export interface InboxMessage {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

export const inboxChannel = (userId: string) => `inbox:${userId}`;

export class Notifier {
  constructor(
    private readonly ds: DataSource,
    private readonly presence: Presence,
  ) {}

  async notify(userId: string, event: string, payload: Record<string, unknown>): Promise<InboxMessage> {
    const row = await this.ds.getRepository(Notification).save({ userId, event, payload, readAt: null });
    const message: InboxMessage = { id: row.id, event, payload, createdAt: row.createdAt.toISOString() };
    await this.presence.publish(inboxChannel(userId), message);
    return message;
  }

  async recent(userId: string, limit = 50): Promise<InboxMessage[]> {
    const rows = await this.ds
      .getRepository(Notification)
      .find({ where: { userId }, order: { createdAt: 'DESC' }, take: limit });
    return rows.map((r) => ({ id: r.id, event: r.event, payload: r.payload, createdAt: r.createdAt.toISOString() }));
  }

  async markRead(userId: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.ds.query(
      'UPDATE notifications SET read_at = now() WHERE user_id = $1 AND id = ANY($2::uuid[]) AND read_at IS NULL',
      [userId, ids],
    );
  }
}
