/**
 * One error type for every expected failure. `code` is stable for clients; `status`
 * is the HTTP status; rooms send the same { code, message } to the one client.
 */
export const ErrorCode = {
  VALIDATION: 'VALIDATION',
  UNKNOWN_MESSAGE: 'UNKNOWN_MESSAGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  INSUFFICIENT_COINS: 'INSUFFICIENT_COINS',
  IDEMPOTENCY_MISMATCH: 'IDEMPOTENCY_MISMATCH',
  INVALID_STATE: 'INVALID_STATE',
  SOLD_OUT: 'SOLD_OUT',
  CAPACITY: 'CAPACITY',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  /** No SFU is configured (JANUS_URL unset) or none is reachable. */
  SFU_UNAVAILABLE: 'SFU_UNAVAILABLE',
  INTERNAL: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const STATUS: Record<ErrorCode, number> = {
  VALIDATION: 400,
  UNKNOWN_MESSAGE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INSUFFICIENT_COINS: 409,
  IDEMPOTENCY_MISMATCH: 409,
  INVALID_STATE: 409,
  SOLD_OUT: 409,
  CAPACITY: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  SFU_UNAVAILABLE: 503,
  INTERNAL: 500,
};

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    status?: number,
  ) {
    // An expected failure: its code and message say everything, and capturing a stack (with async frames)
    // was the largest cost of refusing a sold-out order. Unexpected errors keep their stacks.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
    this.name = 'AppError';
    this.status = status ?? STATUS[code];
  }
  toJSON() {
    return { code: this.code, message: this.message };
  }
}

export const badRequest = (message: string) => new AppError(ErrorCode.VALIDATION, message);
export const unauthorized = (message = 'Authentication required') => new AppError(ErrorCode.UNAUTHORIZED, message);
export const forbidden = (message = 'Not allowed') => new AppError(ErrorCode.FORBIDDEN, message);
export const notFound = (what: string) => new AppError(ErrorCode.NOT_FOUND, `${what} not found`);
export const conflict = (message: string) => new AppError(ErrorCode.CONFLICT, message);
export const invalidState = (message: string) => new AppError(ErrorCode.INVALID_STATE, message);

/**
 * Errors cross process boundaries (matchMaker.remoteRoomCall) as plain objects;
 * this turns anything thrown back into an AppError when it carries a known code.
 */
export function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; message?: unknown; status?: unknown };
    if (typeof e.code === 'string' && e.code in STATUS && typeof e.message === 'string') {
      return new AppError(e.code as ErrorCode, e.message, typeof e.status === 'number' ? e.status : undefined);
    }
  }
  return undefined;
}
