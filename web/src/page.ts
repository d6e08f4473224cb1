/** What every page shares: the sign-in bar and the SFU-ready media factory. */
import type { Room } from '@colyseus/sdk';
import { api, session, signIn, signOut, type User } from './api';
import { MeshMedia, type MediaOptions } from './media';
import { SfuMedia } from './sfu';
import { $, h, log } from './ui';

/**
 * Renders the sign-in bar into #signin and resolves once a user is signed in (at once when
 * this tab already holds a token, so a reload keeps the user).
 */
export function signedIn(): Promise<User> {
  const bar = $('#signin');
  return new Promise((resolve) => {
    const ready = (user: User) => {
      bar.replaceChildren(
        h('span', { id: 'me', 'data-user-id': user.id }, `Signed in as ${user.username}`),
        ' ',
        h('button', { id: 'signout', type: 'button' }, 'Sign out'),
      );
      $('#signout', bar).onclick = () => {
        signOut();
        location.reload();
      };
      resolve(user);
    };
    const s = session();
    if (s) return ready(s.user);
    const form = h(
      'form',
      { id: 'signin-form' },
      h('input', { name: 'username', placeholder: 'username', required: '', minlength: '3', autocomplete: 'username' }),
      h('input', {
        name: 'password',
        type: 'password',
        placeholder: 'password (8+)',
        required: '',
        minlength: '8',
        autocomplete: 'current-password',
      }),
      h('button', { type: 'submit' }, 'Sign in / register'),
    );
    form.onsubmit = async (e) => {
      e.preventDefault();
      const data = new FormData(form);
      try {
        ready(await signIn(String(data.get('username')), String(data.get('password'))));
      } catch (err) {
        log(`Sign-in failed: ${(err as Error).message}`, 'error');
      }
    };
    bar.replaceChildren(form);
  });
}

export async function balance(): Promise<number> {
  return (await api<{ balance: number }>('GET', '/api/wallet?limit=1')).balance;
}

export type Media = MeshMedia | SfuMedia;

let sfuChecked: Promise<boolean> | undefined;
/** Does the server run an SFU? `/healthz` says `checks.sfu`: "ok" or "down" (restarting), or "disabled". */
export function hasSfu(): Promise<boolean> {
  sfuChecked ??= fetch('/healthz')
    .then((res) => res.json())
    .then((body: { checks?: { sfu?: string } }) => !!body.checks?.sfu && body.checks.sfu !== 'disabled')
    .catch(() => false);
  return sfuChecked;
}
void hasSfu(); // asked as the page loads: by the time a room is joined the answer is usually there

/**
 * The media path of a room, the one place that picks it: through the SFU when the server has one
 * (hosts publish once, everyone else subscribes to `state.feeds`), else the mesh (MeshMedia).
 */
export async function createMedia(room: Room, opts: MediaOptions): Promise<Media> {
  const all = {
    ...opts,
    onError: (e: { type: string; code: string; message: string }) => {
      log(`${e.type}: ${e.code} ${e.message}`, 'error');
      opts.onError?.(e);
    },
  };
  const media = (await hasSfu()) ? new SfuMedia(room, all) : new MeshMedia(room, all);
  expose({ media, framesDecoded: () => framesDecoded(media) });
  return media;
}

/** Test and debugging hooks on window.liveArena (frames decoded, the room, ...). */
export function expose(values: Record<string, unknown>): void {
  const w = window as unknown as { liveArena?: Record<string, unknown> };
  w.liveArena = { ...(w.liveArena ?? {}), ...values };
}

/** Frames decoded across a media's peer connections (what a person sees as a moving picture). */
export async function framesDecoded(media: Media): Promise<number> {
  let frames = 0;
  for (const pc of media.pcs.values()) {
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames += s.framesDecoded ?? 0;
    });
  }
  return frames;
}

/** Shows room errors (`error`, `live-shopping:error`) in the log; the room carries on. */
export function logRoomErrors(room: Room, ...types: string[]): void {
  for (const t of ['error', ...types])
    room.onMessage(t, (e: { type: string; code: string; message: string }) =>
      log(`${e.type}: ${e.code} ${e.message}`, 'error'),
    );
  room.onMessage('*', () => undefined); // events this page does not show (the state carries what it shows)
  room.onLeave((code) => log(`left the room (code ${code})`, code >= 4002 ? 'error' : 'info'));
}
