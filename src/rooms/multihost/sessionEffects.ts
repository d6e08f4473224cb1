/**
 * Carries out the multi-host model's effects for one room: the store (the session's record and its
 * invitations), broadcasts, inbox notices, signaling and SFU changes, and timers on the room clock.
 */
import type { Client, Delayed, Room } from '@colyseus/core';
import { ctx } from '../../context';
import type { Notice } from '../../domain/multihost/protocol';
import { type Command, type Effect, type Session, stageRecords } from '../../domain/multihost/session';
import { unreachable } from '../../domain/result';
import type { SfuMedia } from '../../rtc/SfuMedia';
import type { SignalingRelay } from '../../rtc/SignalingRelay';
import { multiHostStore } from '../../stores/multiHostStore';
import { setListing, userOf } from '../roomKit';
import { safely } from '../safely';

/** What the effects need from the room. */
export interface SessionRoomPorts {
  room: Room;
  relay(): SignalingRelay;
  media(): SfuMedia;
  /** The model as it is now (timers and records read it when they run). */
  session(): Session;
  peakViewers(): number;
  /** Runs a command through the model (a timer fired). */
  run(command: Command): Promise<unknown>;
}

/** How long the room stays up after `multihost:ended` went out. */
const CLOSE_AFTER_MS = 500;

export class SessionEffects {
  private readonly timers = new Map<string, Delayed>();
  /** The session row says how it ended (else the room's dispose, or the next start's recovery, records it). */
  private persisted = false;

  constructor(private readonly ports: SessionRoomPorts) {}

  private get id(): string {
    return this.ports.session().id;
  }

  /** Applies the effects in order; a failed store write fails the call that caused it. */
  async apply(effects: readonly Effect[], now: number): Promise<void> {
    for (const e of effects) await this.one(e, now);
  }

  private async one(e: Effect, now: number): Promise<void> {
    const { room } = this.ports;
    switch (e.type) {
      case 'broadcast':
        room.broadcast(e.event.name, e.event.payload);
        return;
      case 'notify':
        return this.notify(e.userId, e.notice, e.inRoom);
      case 'invitation-opened': {
        const i = e.invitation;
        await multiHostStore().openInvitation({ sessionId: this.id, ...i, byUser: i.by });
        return;
      }
      case 'invitation-closed': {
        const closed = await multiHostStore().closeInvitation(this.id, e.userId, e.kind, e.status);
        // Already closed elsewhere (a restart's recovery): that side told the user.
        if (closed && e.tell) await this.notify(e.userId, e.tell);
        return;
      }
      case 'went-live':
        await multiHostStore().markLive(this.id);
        await this.ports.media().goLive();
        void setListing(room, { status: 'live' });
        return;
      case 'layout-recorded':
        multiHostStore()
          .setLayout(this.id, e.layout)
          .catch((err) => ctx().logger.error({ err, sessionId: this.id }, 'layout not recorded'));
        return;
      case 'unseated':
        this.ports.relay().removeUser(e.userId);
        void this.ports.media().removePublisher(e.userId);
        return;
      case 'track-forced':
        this.ports.relay().forceTrack(e.userId, e.kind, e.enabled);
        return;
      case 'schedule':
        this.cancel(e.key);
        this.timers.set(
          e.key,
          room.clock.setTimeout(
            () => {
              this.timers.delete(e.key);
              safely(room, `timer ${e.key}`, () => this.ports.run(e.command));
            },
            Math.max(0, e.at - now),
          ),
        );
        return;
      case 'cancel':
        this.cancel(e.key);
        return;
      case 'finished':
        for (const key of [...this.timers.keys()]) this.cancel(key);
        try {
          await this.persist('ended', e.reason, now);
          this.persisted = true;
        } catch (err) {
          // The session still ends for everyone; the room's dispose tries the write again.
          ctx().logger.error({ err, sessionId: this.id }, 'multi-host session end not recorded yet');
        }
        return;
      case 'close-room':
        room.clock.setTimeout(() => safely(room, 'close', () => room.disconnect()), CLOSE_AFTER_MS);
        return;
      default:
        return unreachable(e);
    }
  }

  /** On dispose: the record, unless the end already wrote it (a session still open was interrupted). */
  async settle(now: number): Promise<void> {
    if (this.persisted) return;
    const s = this.ports.session();
    try {
      await this.persist(s.status === 'ended' ? 'ended' : 'interrupted', s.endReason ?? 'interrupted', now);
    } catch (err) {
      ctx().logger.error({ err, sessionId: s.id }, 'multi-host session not recorded; the next start closes it');
    }
  }

  /** Writes the session's record: how it ended, its peak, every host's time on stage. */
  persist(status: 'ended' | 'interrupted', reason: string, now: number): Promise<void> {
    const s = this.ports.session();
    return multiHostStore().finish(s.id, {
      status,
      reason,
      peakViewers: this.ports.peakViewers(),
      hosts: stageRecords(s, now),
    });
  }

  private cancel(key: string): void {
    this.timers.get(key)?.clear();
    this.timers.delete(key);
  }

  private async notify(userId: string, notice: Notice, inRoom = false): Promise<void> {
    await ctx().notifier.notify(userId, notice.name, notice.payload);
    if (!inRoom) return;
    for (const c of this.ports.room.clients as Client[])
      if (userOf(c).id === userId) c.send(notice.name, notice.payload);
  }
}
