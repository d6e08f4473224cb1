import type { ValueTransformer } from 'typeorm';

/** pg returns int8 as a string; coin amounts stay well inside Number.MAX_SAFE_INTEGER. */
export const bigintNumber: ValueTransformer = {
  to: (v: number | null | undefined) => v,
  from: (v: string | null) => (v === null ? null : Number(v)),
};
