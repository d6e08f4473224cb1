import type { Feature } from './feature';
import { webrtcRoutes } from './http/webrtcRoutes';
import { LiveStreamRoom } from './rooms/LiveStreamRoom';
import { roomExists } from './rooms/roomCall';
import { liveStreamStore } from './stores/liveStreamStore';

/**
 * WebRTC: the `live_stream` room and /api/webrtc. The relay and SFU media (src/rtc) are used by every
 * media room; they know nothing of rooms, so this wiring lives here, beside the registry.
 */
export const webrtcFeature: Feature = {
  name: 'webrtc',
  rooms: { live_stream: LiveStreamRoom },
  routes: (c) => [{ path: '/webrtc', router: webrtcRoutes(c) }],
  ready: async (c) => {
    const closed = await liveStreamStore().recoverOrphans(roomExists);
    if (closed) c.logger.warn({ closed }, 'live streams left live by a stopped process closed as interrupted');
  },
};
