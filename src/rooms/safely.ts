/**
 * No floating promises in rooms: an async step started from a timer or an event (not awaited
 * by anyone) runs through `safely()`. A failure is logged with the room and the step, then
 * `onError` moves the room to a defined state (usually: record what it can and close), so a
 * database or Redis error never becomes an unhandled rejection that takes the process down.
 */
import type { Room } from '@colyseus/core';
import { ctx } from '../context';

export function safely(room: Room, step: string, fn: () => Promise<unknown>, onError?: (err: unknown) => void): void {
  let running: Promise<unknown>;
  try {
    running = fn();
  } catch (err) {
    running = Promise.reject(err);
  }
  running.catch((err: unknown) => {
    ctx().logger.error({ err, roomId: room.roomId, roomName: room.roomName, step }, 'room step failed');
    try {
      onError?.(err);
    } catch (inner) {
      ctx().logger.error({ err: inner, roomId: room.roomId, step }, 'room failure handler failed');
    }
  });
}
