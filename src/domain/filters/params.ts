/**
 * Filter parameter schemas and validation. A filter declares its parameters; a client's
 * `parameters` object is checked against them (unknown names, wrong types and
 * out-of-range values are errors naming the parameter) and missing ones take defaults.
 */
import { z } from 'zod';

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

export class ParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`parameters.${param}: ${message}`);
  }
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

function checkValue(spec: ParamSpec, v: unknown): number | boolean | string {
  switch (spec.type) {
    case 'number':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new ParamError(spec.name, 'must be a number');
      if (v < spec.min || v > spec.max) throw new ParamError(spec.name, `must be between ${spec.min} and ${spec.max}`);
      return v;
    case 'boolean':
      if (typeof v !== 'boolean') throw new ParamError(spec.name, 'must be true or false');
      return v;
    case 'color':
      if (typeof v !== 'string' || !/^#[0-9a-f]{6}$/i.test(v))
        throw new ParamError(spec.name, 'must be a colour like #ff8800');
      return v.toLowerCase();
    case 'enum':
      if (typeof v !== 'string' || !spec.choices.includes(v))
        throw new ParamError(spec.name, `must be one of ${spec.choices.join(', ')}`);
      return v;
    case 'string':
      if (typeof v !== 'string') throw new ParamError(spec.name, 'must be text');
      if (v.length > spec.maxLength) throw new ParamError(spec.name, `must be at most ${spec.maxLength} characters`);
      return v;
  }
}

/** Validated values for every declared parameter (defaults filled in). Throws ParamError. */
export function validateParams(specs: readonly ParamSpec[], input: unknown, category?: string): ParamValues {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new ParamError('', 'must be an object');
  const flat = flatten(input as Record<string, unknown>, category);
  const byName = new Map(specs.map((s) => [s.name, s]));
  for (const name of Object.keys(flat)) if (!byName.has(name)) throw new ParamError(name, 'unknown parameter');
  const out: ParamValues = {};
  for (const spec of specs) out[spec.name] = spec.name in flat ? checkValue(spec, flat[spec.name]) : spec.default;
  return out;
}
