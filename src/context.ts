/**
 * The services a process shares, built once at start (src/server.ts). Rooms are
 * constructed by the matchmaker, so they reach these through `ctx()`.
 */
import type { Presence } from '@colyseus/core';
import type { DataSource } from 'typeorm';
import type { TokenService } from './auth/tokens';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Notifier } from './notify/notifier';
import type { UserStore } from './stores/userStore';
import type { WalletStore } from './stores/walletStore';

export interface AppContext {
  config: Config;
  ds: DataSource;
  presence: Presence;
  tokens: TokenService;
  users: UserStore;
  wallet: WalletStore;
  notifier: Notifier;
  logger: Logger;
}

let current: AppContext | undefined;

export function setContext(c: AppContext | undefined): void {
  current = c;
}

export function ctx(): AppContext {
  if (!current) throw new Error('AppContext used before the server started');
  return current;
}
