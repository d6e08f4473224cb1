/** The slice of janode 1.8 (ESM, untyped) this server uses. */
declare module 'janode' {
  import type { EventEmitter } from 'node:events';

  export interface JanodeHandle extends EventEmitter {
    id: number;
    detach(): Promise<void>;
    hangup(): Promise<void>;
    trickle(candidate: unknown): Promise<void>;
    trickleComplete(): Promise<void>;
    message(body: Record<string, unknown>, jsep?: unknown): Promise<unknown>;
  }
  export interface JanodeSession extends EventEmitter {
    id: number;
    attach<H>(plugin: { id: string; Handle: unknown; EVENT: Record<string, string> }): Promise<H>;
    destroy(): Promise<void>;
  }
  export interface JanodeConnection extends EventEmitter {
    create(kaIntervalSecs?: number): Promise<JanodeSession>;
    close(): Promise<void>;
  }
  const Janode: {
    connect(config: {
      address: { url: string; apisecret?: string } | Array<{ url: string; apisecret?: string }>;
      retry_time_secs?: number;
      max_retries?: number;
      is_admin?: boolean;
    }): Promise<JanodeConnection>;
    Logger: { setLevel(level: 'debug' | 'verb' | 'info' | 'warn' | 'error' | 'none'): string };
    EVENT: {
      CONNECTION_CLOSED: string;
      SESSION_DESTROYED: string;
      HANDLE_DETACHED: string;
      HANDLE_ICE_FAILED: string;
      HANDLE_HANGUP: string;
      HANDLE_MEDIA: string;
      HANDLE_WEBRTCUP: string;
      HANDLE_SLOWLINK: string;
      HANDLE_TRICKLE: string;
      CONNECTION_ERROR: string;
    };
  };
  export default Janode;
}

declare module 'janode/plugins/videoroom' {
  import type { JanodeHandle } from 'janode';

  export interface Jsep {
    type: 'offer' | 'answer';
    sdp: string;
  }
  export interface VideoRoomStream {
    type: 'audio' | 'video' | 'data';
    mid: string;
    mindex?: number;
    feed_id?: number;
    feed_mid?: string;
    active?: boolean;
    ready?: boolean;
    send?: boolean;
    [k: string]: unknown;
  }
  export interface VideoRoomHandle extends JanodeHandle {
    feed: number | null;
    room: number | null;
    create(p: Record<string, unknown>): Promise<{ room: number }>;
    destroy(p: { room: number; secret?: string; permanent?: boolean }): Promise<unknown>;
    exists(p: { room: number }): Promise<{ exists: boolean }>;
    kick(p: { room: number; feed: number; secret?: string }): Promise<unknown>;
    joinConfigurePublisher(p: Record<string, unknown> & { jsep: Jsep }): Promise<{ feed: number; jsep?: Jsep }>;
    configure(p: Record<string, unknown>): Promise<{ jsep?: Jsep }>;
    unpublish(): Promise<unknown>;
    leave(): Promise<unknown>;
    joinSubscriber(p: Record<string, unknown>): Promise<{ jsep?: Jsep; streams?: VideoRoomStream[] }>;
    start(p: { jsep: Jsep }): Promise<unknown>;
    update(p: {
      subscribe?: Array<Record<string, unknown>>;
      unsubscribe?: Array<Record<string, unknown>>;
    }): Promise<{ jsep?: Jsep; streams?: VideoRoomStream[] }>;
  }
  const VideoRoomPlugin: {
    id: string;
    Handle: unknown;
    EVENT: Record<string, string>;
  };
  export default VideoRoomPlugin;
}
