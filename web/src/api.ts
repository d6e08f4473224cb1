/**
 * The REST side of the public protocol (docs/protocol.md): `{ success, data }` bodies, a bearer
 * token per tab (sessionStorage, so two tabs can be two users), and the SDK client for rooms.
 */
import { Client } from '@colyseus/sdk';

export interface User {
  id: string;
  username: string;
  coins: number;
}

const KEY = 'live-arena.session';

export function session(): { token: string; user: User } | null {
  const raw = sessionStorage.getItem(KEY);
  return raw ? (JSON.parse(raw) as { token: string; user: User }) : null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T = any>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  const s = session();
  if (s) headers.authorization = `Bearer ${s.token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = (await res.json().catch(() => ({}))) as { success?: boolean; data?: T; message?: string; code?: string };
  if (!res.ok || !json.success) throw new ApiError(res.status, json.code ?? 'HTTP', json.message ?? res.statusText);
  return json.data as T;
}

/** Registers the name (or logs in when it is taken) and keeps the token for this tab. */
export async function signIn(username: string, password: string): Promise<User> {
  let data: { token: string; user: User };
  try {
    data = await api('POST', '/api/auth/register', { username, password });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status !== 409) throw err;
    data = await api('POST', '/api/auth/login', { username, password });
  }
  sessionStorage.setItem(KEY, JSON.stringify(data));
  return data.user;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
}

/** An SDK client carrying this tab's token (rooms read it at join). */
export function roomClient(): Client {
  const client = new Client(location.origin);
  const s = session();
  if (s) client.auth.token = s.token;
  return client;
}

export const uuid = (): string => crypto.randomUUID();
