/**
 * Filter parameter schemas and validation. A filter declares its parameters; a client's
 * `parameters` object is checked against them (unknown names, wrong types and
 * out-of-range values are refusals naming the parameter) and missing ones take defaults.
 */
import { z } from 'zod';
import { ErrorCode } from '../../errors';
import { accept, type Refusal, type Result, refuse, unreachable } from '../result';

export const CATEGORIES = [
  'beauty',
  'makeup',
  'ar',
  'color',
  'background',
  'sticker',
  'text',
  'voice',
  'face-shape',
] as const;
export type Category = (typeof CATEGORIES)[number];

export const ParamSpec = z.discriminatedUnion('type', [
  z.object({
    name: z.string(),
    type: z.literal('number'),
    min: z.number(),
    max: z.number(),
    default: z.number(),
    step: z.number().positive().optional(),
  }),
  z.object({ name: z.string(), type: z.literal('boolean'), default: z.boolean() }),
  z.object({ name: z.string(), type: z.literal('color'), default: z.string().regex(/^#[0-9a-f]{6}$/i) }),
  z.object({ name: z.string(), type: z.literal('enum'), choices: z.array(z.string()).min(1), default: z.string() }),
  z.object({
    name: z.string(),
    type: z.literal('string'),
    maxLength: z.number().int().positive(),
    default: z.string(),
  }),
]);
export type ParamSpec = z.infer<typeof ParamSpec>;

export type ParamValues = Record<string, number | boolean | string>;

/** A refusal naming the parameter: `parameters.<name>: <why>` (VALIDATION, answered as 400). */
function badParam(param: string, message: string): { readonly ok: false; readonly error: Refusal } {
  return refuse(ErrorCode.VALIDATION, `parameters.${param}: ${message}`);
}

/** `{ beauty: { skinSmoothing: 80 } }` or `{ 'lipstick.color': '#aa0000' }` → dot paths; a leading category key is dropped. */
export function flatten(input: Record<string, unknown>, category?: string, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      Object.assign(out, flatten(v as Record<string, unknown>, undefined, prefix === '' && k === category ? '' : path));
    } else out[path] = v;
  }
  return out;
}

function checkValue(spec: ParamSpec, v: unknown): Result<number | boolean | string> {
  switch (spec.type) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) return badParam(spec.name, 'must be a number');
      if (v < spec.min || v > spec.max) return badParam(spec.name, `must be between ${spec.min} and ${spec.max}`);
      return accept(v);
    case 'boolean':
      if (typeof v !== 'boolean') return badParam(spec.name, 'must be true or false');
      return accept(v);
    case 'color':
      if (typeof v !== 'string' || !/^#[0-9a-f]{6}$/i.test(v))
        return badParam(spec.name, 'must be a colour like #ff8800');
      return accept(v.toLowerCase());
    case 'enum':
      if (typeof v !== 'string' || !spec.choices.includes(v))
        return badParam(spec.name, `must be one of ${spec.choices.join(', ')}`);
      return accept(v);
    case 'string':
      if (typeof v !== 'string') return badParam(spec.name, 'must be text');
      if (v.length > spec.maxLength) return badParam(spec.name, `must be at most ${spec.maxLength} characters`);
      return accept(v);
    default:
      return unreachable(spec);
  }
}

/**
 * Validated values for every declared parameter (defaults filled in), or a VALIDATION refusal
 * naming the first bad parameter (`parameters.skinSmoothing: must be between 0 and 100`).
 */
export function validateParams(specs: readonly ParamSpec[], input: unknown, category?: string): Result<ParamValues> {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) return badParam('', 'must be an object');
  const flat = flatten(input as Record<string, unknown>, category);
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const name of Object.keys(flat)) if (!byName.has(name)) return badParam(name, 'unknown parameter');
  const out: ParamValues = {};
  for (const spec of specs) {
    if (!(spec.name in flat)) {
      out[spec.name] = spec.default;
      continue;
    }
    const v = checkValue(spec, flat[spec.name]);
    if (!v.ok) return v;
    out[spec.name] = v.value;
  }
  return accept(out);
}
