/**
 * Joins `viewers` to their rooms, 16 at a time (what a worker thread of the load generator does first);
 * `attach` wires each room's listeners before anything else. Unread message types are swallowed.
 */
import { Client, type Room } from '@colyseus/sdk';

export async function joinViewers(
  url: string,
  viewers: ReadonlyArray<{ token: string; roomId: string }>,
  attach: (room: Room, roomId: string) => void,
): Promise<Room[]> {
  const rooms: Room[] = [];
  const queue = [...viewers];
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (let v = queue.shift(); v; v = queue.shift()) {
        const client = new Client(url);
        client.auth.token = v.token;
        const room = await client.joinById(v.roomId);
        attach(room, v.roomId);
        // Every other type is swallowed (no SDK warning per client and message).
        room.onMessage('*', () => undefined);
        rooms.push(room);
      }
    }),
  );
  return rooms;
}
