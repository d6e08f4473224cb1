/**
 * `inbox`: a signed-in client's personal notification feed. One room holds many
 * users; each client is subscribed to its own presence channel and receives only
 * what is addressed to it, as a message whose type is the event name
 * (`pk-battle:invited`, `multihost:invited`, ...). After joining, a client sends
 * `inbox:sync` and gets `inbox:backlog { notifications (50 most recent), balance }`.
 */
import { type Client, Room } from '@colyseus/core';
import { z } from 'zod';
import { ctx } from '../context';
import { type InboxMessage, inboxChannel } from '../notify/notifier';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages, userOf } from './roomKit';

export const InboxEvents = {
  sync: 'inbox:sync',
  backlog: 'inbox:backlog',
  read: 'inbox:read',
} as const;

export class InboxRoom extends Room {
  static override onAuth = authenticate;
  override maxClients = 5000;
  private readonly subscriptions = new Map<string, (m: InboxMessage) => void>();

  override messages: RoomMessages<InboxRoom> = messageTable<InboxRoom>({
    [InboxEvents.read]: on(z.object({ ids: z.array(z.string().uuid()).max(100) }), async (client, { ids }) => {
      await ctx().notifier.markRead(userOf(client).id, ids);
    }),
    [InboxEvents.sync]: on(z.object({}).passthrough(), async (client) => {
      const userId = userOf(client).id;
      const [notifications, balance] = await Promise.all([ctx().notifier.recent(userId), ctx().wallet.balance(userId)]);
      client.send(InboxEvents.backlog, { notifications, balance });
    }),
  });

  override onCreate(): void {
    applyRoomDefaults(this);
  }

  override async onJoin(client: Client): Promise<void> {
    const user = userOf(client);
    const deliver = (m: InboxMessage) =>
      client.send(m.event, { notificationId: m.id, createdAt: m.createdAt, ...m.payload });
    this.subscriptions.set(client.sessionId, deliver);
    await this.presence.subscribe(inboxChannel(user.id), deliver);
  }

  override async onLeave(client: Client): Promise<void> {
    const deliver = this.subscriptions.get(client.sessionId);
    this.subscriptions.delete(client.sessionId);
    if (deliver) await this.presence.unsubscribe(inboxChannel(userOf(client).id), deliver);
  }
}
