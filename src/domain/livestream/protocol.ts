/** Solo live stream (`live_stream` room) events and messages, declared once (docs/protocol.md). */
import { z } from 'zod';

export const LiveStreamEvents = {
  /** room → all: `{ streamId, peakViewers }` */
  ended: 'live-stream:ended',
  /** host → room: end the stream (`{}`) */
  end: 'live-stream:end',
} as const;

export const EndStreamBody = z.object({}).passthrough();

export type StreamEndedPayload = { streamId: string; peakViewers: number };
