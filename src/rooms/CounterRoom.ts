/**
 * `counter`: the baseline for load tests, i.e. what a bare Colyseus room does for a gift storm's job.
 * Clients send `inc`; the room adds to one number in its schema state, and the state patch (at the
 * patch rate the measured room uses, join option `patchRateMs`) carries it to every client. No rules,
 * no database, and no broadcast per message: at 1,000 clients x 200 messages/s a broadcast per message
 * is 200k sends/s, more than `ws` does on a 2-core machine, which would make the baseline saturate.
 */
import { type Client, Room } from '@colyseus/core';
import { z } from 'zod';
import { CounterState } from '../state/CounterState';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages } from './roomKit';

export class CounterRoom extends Room<{ state: CounterState }> {
  static override onAuth = authenticate;
  override maxClients = 5000;
  override state = new CounterState();
  override messages: RoomMessages<CounterRoom> = messageTable<CounterRoom>({
    inc: on(z.object({ by: z.number().int().min(1).max(1000).default(1) }).passthrough(), function (_client, m) {
      this.state.count += m.by;
    }),
  });

  override onCreate(options: { patchRateMs?: number }): void {
    applyRoomDefaults(this, { rate: 1000, burst: 1000 });
    const rate = Number(options?.patchRateMs);
    if (Number.isFinite(rate) && rate > 0) this.setPatchRate(Math.max(10, Math.min(1000, rate)));
  }

  override onJoin(): void {
    this.state.clients = this.clients.length;
  }

  override onLeave(_client: Client): void {
    this.state.clients = this.clients.length;
  }
}
