import assert from 'node:assert/strict';
import {
  checkVoucher,
  flashActive,
  orderTotal,
  priceAt,
  rates,
  type VoucherRule,
  voucherDiscount,
} from '../../src/domain/shopping/rules';
import type { Result } from '../../src/domain/result';

/** The refusal's code (undefined when the rule accepted). */
const codeOf = (r: Result<unknown>) => (r.ok ? undefined : r.error.code);

describe('Live shopping rules', () => {
  const p = { livePrice: 2999, remaining: 10, flashPrice: 1999, flashRemaining: 5, flashEndsAt: 10_000 };

  it('prices at the flash price while the sale has time and units, the live price after', () => {
    assert.deepEqual(priceAt(p, 5000), { unitPrice: 1999, flash: true });
    assert.deepEqual(priceAt(p, 10_000), { unitPrice: 2999, flash: false });
    assert.deepEqual(priceAt({ ...p, flashRemaining: 0 }, 5000), { unitPrice: 2999, flash: false });
    assert.deepEqual(priceAt({ ...p, flashPrice: null }, 5000), { unitPrice: 2999, flash: true });
    assert.equal(flashActive({ ...p, flashEndsAt: null }, 0), false);
  });

  it('checks vouchers: expiry, scope, minimum, limits; computes discounts', () => {
    const v: VoucherRule = {
      code: 'X',
      type: 'percent',
      value: 10,
      usageLimit: 2,
      perUserLimit: 1,
      minOrderAmount: 1000,
      expiresAt: 50,
      productIds: ['a'],
      uses: 0,
    };
    const o = { productId: 'a', subtotal: 2000, usesByUser: 0, now: 10 };
    assert.deepEqual(checkVoucher(v, o), { ok: true, value: 200 });
    assert.equal(codeOf(checkVoucher(v, { ...o, now: 50 })), 'INVALID_STATE');
    assert.equal(codeOf(checkVoucher(v, { ...o, productId: 'b' })), 'VALIDATION');
    assert.equal(codeOf(checkVoucher(v, { ...o, subtotal: 999 })), 'VALIDATION');
    assert.equal(codeOf(checkVoucher({ ...v, uses: 2 }, o)), 'CONFLICT');
    assert.equal(codeOf(checkVoucher(v, { ...o, usesByUser: 1 })), 'CONFLICT');
    assert.equal(voucherDiscount({ type: 'fixed', value: 5000 }, 3000), 3000);
    assert.equal(voucherDiscount({ type: 'percent', value: 33 }, 1000), 330);
    assert.deepEqual(orderTotal(1999, 3, 500), { subtotal: 5997, discount: 500, total: 5497 });
  });

  it('computes conversion, average order value and sell-through', () => {
    assert.deepEqual(rates({ orders: 5, revenue: 10_000, uniqueViewers: 50, flashSold: 30, flashOffered: 40 }), {
      averageOrderValue: 2000,
      conversion: 0.1,
      flashSellThrough: 0.75,
    });
    assert.deepEqual(rates({ orders: 0, revenue: 0, uniqueViewers: 0, flashSold: 0, flashOffered: 0 }), {
      averageOrderValue: 0,
      conversion: 0,
      flashSellThrough: null,
    });
  });
});
