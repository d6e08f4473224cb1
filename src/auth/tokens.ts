import jwt from 'jsonwebtoken';
import { unauthorized } from '../errors';

export interface AuthUser {
  id: string;
  username: string;
}

/** Short-lived HS256 access tokens: `sub` is the user id, `name` the username. */
export class TokenService {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

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
