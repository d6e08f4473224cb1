import { createSecretKey, type KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { unauthorized } from '../errors';

export interface AuthUser {
  id: string;
  username: string;
}

/** Short-lived HS256 access tokens: `sub` is the user id, `name` the username. */
export class TokenService {
  /**
   * The secret as a KeyObject, made once: given a string, jsonwebtoken first tries to parse it as a
   * public key on every verify (and throws, and catches), which was the largest single cost of an
   * HTTP request in the flash-sale profile.
   */
  private readonly secret: KeyObject;
  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.secret = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  sign(user: AuthUser): string {
    return jwt.sign({ name: user.username }, this.secret, {
      subject: user.id,
      expiresIn: this.ttlSeconds,
      algorithm: 'HS256',
    });
  }

  /** Throws 401 on a missing, malformed, forged or expired token. */
  verify(token: string | undefined | null): AuthUser {
    if (!token) throw unauthorized('Missing token');
    try {
      const payload = jwt.verify(token, this.secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
      if (typeof payload.sub !== 'string' || typeof payload.name !== 'string') throw unauthorized('Invalid token');
      return { id: payload.sub, username: payload.name };
    } catch (err) {
      if (err instanceof jwt.TokenExpiredError) throw unauthorized('Token expired');
      throw unauthorized('Invalid token');
    }
  }
}
