import type { Feature } from '../features';
import { webrtcRoutes } from '../http/webrtcRoutes';
import { LiveStreamRoom } from '../rooms/LiveStreamRoom';
import { roomExists } from '../rooms/roomCall';
import { liveStreamStore } from '../stores/liveStreamStore';

/** WebRTC: the `live_stream` room and /api/webrtc. The relay itself is used by every media room. */
export const webrtcFeature: Feature = {
  name: 'webrtc',
  rooms: { live_stream: LiveStreamRoom },
  routes: (c) => [{ path: '/webrtc', router: webrtcRoutes(c) }],
  ready: async (c) => {
    const closed = await liveStreamStore().recoverOrphans(roomExists);
    if (closed) c.logger.warn({ closed }, 'live streams left live by a stopped process closed as interrupted');
  },
};
