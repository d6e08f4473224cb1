/**
 * Shop money on the wire is a decimal amount in the currency's major unit with at most 2 decimals
 * (`29.99` USD), the seed's unit. Inside (rules, database) it is an integer count of minor units
 * (`2999` cents), so sums and discounts are exact.
 *
 * Rounding rule: an input with more than 2 decimals is refused (400), never rounded. Amounts the
 * server computes are rounded to the minor unit in integer arithmetic: a percent voucher's discount
 * rounds down (`floor(subtotal × percent / 100)`, the buyer never gets more than the percent), an
 * average rounds half up. Outputs are `minor / 100`, which JSON prints with at most 2 decimals.
 */
import { z } from 'zod';

export const MINOR_PER_MAJOR = 100;
/** The largest amount accepted: 1,000,000.00 in the major unit. */
export const MAX_MINOR = 100_000_000;

const DECIMAL = /^(\d{1,9})(?:\.(\d{1,2}))?$/;

/**
 * `"29.99"` / `29.99` → `2999`, from the number's shortest decimal form (what `JSON.stringify` prints),
 * so no floating-point arithmetic ever touches the amount. Null when it is not a non-negative amount
 * with at most 2 decimals.
 */
export function parseMajor(v: number | string): number | null {
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '') : v.trim();
  const m = DECIMAL.exec(s);
  if (!m) return null;
  return Number(m[1]) * MINOR_PER_MAJOR + Number((m[2] ?? '').padEnd(2, '0'));
}

/** `2999` → `29.99` (exactly the double JSON prints as 29.99). */
export function toMajor(minor: number): number {
  return minor / MINOR_PER_MAJOR;
}
export function toMajorOrNull(minor: number | null | undefined): number | null {
  return minor === null || minor === undefined ? null : toMajor(minor);
}

/** A money amount in the major unit (number or numeric string), parsed to integer minor units. */
export function amount(min = 1, max = MAX_MINOR) {
  return z.union([z.number(), z.string().max(20)]).transform((v, c) => {
    const minor = parseMajor(v);
    if (minor === null) {
      c.addIssue({ code: 'custom', message: 'must be an amount with at most 2 decimals (e.g. 29.99)' });
      return z.NEVER;
    }
    if (minor < min || minor > max) {
      c.addIssue({ code: 'custom', message: `must be between ${toMajor(min)} and ${toMajor(max)}` });
      return z.NEVER;
    }
    return minor;
  });
}
