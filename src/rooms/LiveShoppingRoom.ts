/**
 * `live_shopping`: one seller's shopping stream, the authority for its products, prices, stock,
 * vouchers and pinned product. An adapter: messages and HTTP room calls become inputs of the model
 * (src/domain/shopping/model.ts), which ShopRuntime (./shopping/) runs: every order is committed to
 * the database (with the stock guarded there too) before it is confirmed.
 * Created by POST /api/live-shopping; its room id is the session id.
 */
import { type Client, Room } from '@colyseus/core';
import type { AuthUser } from '../auth/tokens';
import {
  InteractionBody,
  OrderBody,
  PinBody,
  ShopEvents,
  ShopMessages,
  StreamProductBody,
  StreamProductPatch,
  UnpinBody,
  UpdateProductMessage,
  VoucherBody,
  VoucherCheckBody,
} from '../domain/shopping/protocol';
import { orThrow } from '../domain/result';
import { type Replies, sellerCheck } from '../domain/shopping/model';
import { SfuMedia } from '../rtc/SfuMedia';
import { LiveShoppingState } from '../state/LiveShoppingState';
import { parse } from '../validation';
import { exposed } from './roomCall';
import { requireServerCreated } from './roomCreation';
import { applyRoomDefaults, authenticate, messageTable, on, type RoomMessages, reportViewers, userOf } from './roomKit';
import { claimSession, ShopRuntime } from './shopping/ShopRuntime';
import {
  type ActiveFilterData,
  applyHostFilter,
  removeHostFilter,
  type StreamFilterOp,
  type StreamHostRoom,
  streamFilterOp,
} from './streamHost';

/** State patch interval (docs/protocol.md states it; a test checks). */
export const PATCH_MS = 100;

const errors = { errorEvent: ShopEvents.error };

export class LiveShoppingRoom extends Room<{ state: LiveShoppingState }> implements StreamHostRoom {
  static override onAuth = authenticate;
  override state = new LiveShoppingState();
  /** Lives while scheduled with nobody in it; disposes itself after the end (once reservations settle). */
  override autoDispose = false;

  private shop!: ShopRuntime;
  private media!: SfuMedia;

  override messages: RoomMessages<LiveShoppingRoom> = messageTable<LiveShoppingRoom>({
    [ShopMessages.order]: on(
      OrderBody,
      async (client, m) => {
        const r = await this.shop.order(userOf(client), m);
        client.send(ShopEvents.orderResult, { ...r, ...(m.requestId ? { requestId: m.requestId } : {}) });
      },
      errors,
    ),
    [ShopMessages.interaction]: on(InteractionBody, (client, m) => this.interact(userOf(client), m), errors),
    [ShopMessages.updateProduct]: on(
      UpdateProductMessage,
      (client, { productId, ...patch }) => this.updateProduct(userOf(client).id, productId, patch),
      errors,
    ),
    [ShopMessages.pinProduct]: on(PinBody, (client, m) => this.pin(userOf(client).id, m.productId), errors),
    [ShopMessages.unpinProduct]: on(
      UnpinBody,
      (client) => this.shop.call({ type: 'unpin', userId: userOf(client).id }),
      errors,
    ),
  });

  // --- lifecycle ------------------------------------------------------------------------------

  override async onCreate(options: { sessionId: string }): Promise<void> {
    requireServerCreated(options);
    applyRoomDefaults(this);
    this.setPatchRate(PATCH_MS);
    const session = await claimSession(String(options?.sessionId ?? ''));
    // Claimed: no other room serves this session, so its id can be the room's (one way to find it).
    this.roomId = session.id;
    // The seller publishes to the SFU; buyers watch through it.
    this.media = new SfuMedia({ room: this, canPublish: (id) => this.isHost(id), feeds: this.state.feeds });
    this.shop = await ShopRuntime.load(this, session, () => this.media.goLive());
    await this.setMetadata({
      sessionId: session.id,
      sellerId: session.sellerId,
      status: session.status,
      title: session.title,
      host: session.sellerName,
      viewerCount: 0,
    });
    this.media.register();
    if (session.status === 'live') await this.media.goLive();
  }

  override async onJoin(client: Client): Promise<void> {
    await this.shop.dispatch({ type: 'viewerJoined', userId: userOf(client).id, clients: this.clients.length });
    reportViewers(this, this.clients.length);
  }

  override async onLeave(client: Client): Promise<void> {
    await this.shop.dispatch({ type: 'viewerLeft', clients: this.clients.length });
    reportViewers(this, this.clients.length);
    void this.media.onLeave(client);
  }

  override async onDispose(): Promise<void> {
    if (!this.shop) return; // onCreate refused this room (see roomCreation.ts): nothing to persist
    await this.media?.dispose();
    await this.shop.dispose();
  }

  // --- StreamHostRoom ---------------------------------------------------------------------------

  isHost(userId: string): boolean {
    return userId === this.shop.state.sellerId;
  }
  applyFilter(userId: string, filter: ActiveFilterData): void {
    applyHostFilter(this, this.state.filters, userId, filter);
  }
  removeFilter(userId: string, filterId: string): boolean {
    return removeHostFilter(this, this.state.filters, userId, filterId);
  }
  rpcStreamFilter(op: StreamFilterOp) {
    return exposed(() => streamFilterOp(this, op));
  }

  // --- room calls (HTTP) ------------------------------------------------------------------------

  rpcStart(userId: string) {
    return exposed(() => this.shop.call({ type: 'start', userId }));
  }

  rpcEnd(userId: string) {
    return exposed(async () => {
      const { reply, analytics } = await this.shop.dispatch({ type: 'end', userId });
      return { ...(reply as Replies['end']), analytics };
    });
  }

  rpcAddProduct(userId: string, body: unknown) {
    return exposed(() => this.shop.call({ type: 'addProduct', userId, body: parse(StreamProductBody, body) }));
  }

  rpcUpdateProduct(userId: string, productId: string, body: unknown) {
    return exposed(() => this.updateProduct(userId, productId, body));
  }

  rpcPin(userId: string, body: unknown) {
    return exposed(() => this.pin(userId, parse(PinBody, body).productId));
  }

  rpcUnpin(userId: string) {
    return exposed(() => this.shop.call({ type: 'unpin', userId }));
  }

  rpcVoucher(userId: string, body: unknown) {
    return exposed(() => this.shop.call({ type: 'createVoucher', userId, body: parse(VoucherBody, body) }));
  }

  rpcInteraction(user: AuthUser, body: unknown) {
    return exposed(() => this.interact(user, parse(InteractionBody, body)));
  }

  rpcCheckVoucher(user: AuthUser, body: unknown) {
    return exposed(() => {
      const b = parse(VoucherCheckBody, body);
      return this.shop.call({ type: 'checkVoucher', userId: user.id, ...b });
    });
  }

  /** An order of `user` (the body of POST /api/live-shopping/:id/orders, its key included). */
  rpcOrder(user: AuthUser, body: unknown) {
    return exposed(() => this.shop.order(user, parse(OrderBody, body)));
  }

  /** The payment side confirmed an order: its reservation timer is no longer needed. */
  rpcPaid(orderId: string) {
    return exposed(() => this.shop.call({ type: 'paid', orderId }));
  }

  rpcSnapshot() {
    return exposed(() => this.shop.snapshot());
  }

  rpcAnalytics(userId: string) {
    return exposed(() => {
      orThrow(sellerCheck(this.shop.state, userId));
      return this.shop.analytics();
    });
  }

  // --- shared by messages and room calls ----------------------------------------------------------

  private updateProduct(userId: string, productId: string, body: unknown) {
    const patch = parse(StreamProductPatch, body);
    return this.shop.call({ type: 'updateProduct', userId, productId, patch });
  }

  private pin(userId: string, productId: string) {
    return this.shop.call({ type: 'pin', userId, productId });
  }

  private interact(user: AuthUser, m: InteractionBody) {
    return this.shop.call({ type: 'interact', userId: user.id, productId: m.productId, kind: m.type });
  }
}
