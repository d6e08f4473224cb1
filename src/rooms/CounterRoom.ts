/**
 * `counter`: the baseline for load tests. Clients send `inc`; the room bumps a number
 * in state and broadcasts an event, with no rules and no database, so every feature
 * scenario can report its cost as a ratio to this one measured in the same run.
 */
import { type Client, Room } from '@colyseus/core';
import { z } from 'zod';
import { CounterState } from '../state/CounterState';
import { applyRoomDefaults, authenticate, handle, userOf } from './roomKit';

export class CounterRoom extends Room<{ state: CounterState }> {
  static override onAuth = authenticate;
  override maxClients = 5000;
  override state = new CounterState();

  override onCreate(options: { patchRateMs?: number }): void {
    applyRoomDefaults(this, { rate: 1000, burst: 1000 });
    if (options?.patchRateMs) this.setPatchRate(Math.max(10, Math.min(1000, options.patchRateMs)));
    handle(
      this,
      'inc',
      z.object({ by: z.number().int().min(1).max(1000).default(1), sentAt: z.number().optional() }),
      (client, m) => {
        this.state.count += m.by;
        this.state.lastBy = userOf(client).username;
        this.broadcast('counted', { count: this.state.count, from: userOf(client).id, sentAt: m.sentAt });
      },
    );
  }

  override onJoin(): void {
    this.state.clients = this.clients.length;
  }

  override onLeave(_client: Client): void {
    this.state.clients = this.clients.length;
  }
}
