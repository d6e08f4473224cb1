/**
 * What a feature plugs into the server: rooms, routers, start/stop hooks. This file imports
 * only types and no feature, so feature modules can depend on it while the registry
 * (src/features.ts) depends on them: no import circle.
 */
import type { Room } from '@colyseus/core';
import type { Router } from 'express';
import type { AppContext } from './context';

export interface Feature {
  name: string;
  /** Room classes by room name. */
  rooms?: Record<string, new () => Room>;
  /** Routers mounted under /api/<path>, after bearer auth and the write rate limit. */
  routes?: (c: AppContext) => Array<{ path: string; router: Router }>;
  /** Paths under /api that need no bearer token (they check their own credentials). */
  publicPaths?: RegExp[];
  /** Paths under /api that take `X-Service-Key` instead of a bearer token (checked with requireService). */
  servicePaths?: RegExp[];
  /** After migrations, before listening: seed catalogs, close rows a dead process left live. */
  start?: (c: AppContext) => Promise<void>;
  /**
   * After the server listens (the matchmaker is up): close rows a dead process left live
   * (check with roomExists() from src/rooms/roomCall.ts: with Redis, other processes' rooms are alive).
   */
  ready?: (c: AppContext) => Promise<void>;
  /** On graceful shutdown, after every room has disposed. */
  stop?: (c: AppContext) => Promise<void>;
}
