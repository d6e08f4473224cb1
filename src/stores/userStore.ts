import type { DataSource } from 'typeorm';
import { inTransaction, isUniqueViolation } from '../db/dataSource';
import { User } from '../entities/User';
import { conflict } from '../errors';
import type { WalletStore } from './walletStore';

export interface PublicUser {
  id: string;
  username: string;
  coins: number;
  experience: number;
  level: number;
}

export const toPublicUser = (u: User): PublicUser => ({
  id: u.id,
  username: u.username,
  coins: u.coins,
  experience: u.experience,
  level: u.level,
});

export class UserStore {
  constructor(
    private readonly ds: DataSource,
    private readonly wallet: WalletStore,
  ) {}

  /** Creates the user and pays the sign-up grant through the ledger, in one transaction. */
  async create(username: string, passwordHash: string, signupCoins: number): Promise<User> {
    try {
      return await inTransaction(
        this.ds,
        async (em) => {
          const user = await em.save(em.create(User, { username, passwordHash, coins: 0 }));
          if (signupCoins > 0) {
            const r = await this.wallet.credit(
              { userId: user.id, amount: signupCoins, reason: 'signup_grant', idempotencyKey: `signup:${user.id}` },
              em,
            );
            user.coins = r.balance;
          }
          return user;
        },
        1,
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict('Username is already taken');
      throw err;
    }
  }

  findByUsername(username: string): Promise<User | null> {
    return this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .where('lower(u.username) = lower(:username)', { username })
      .getOne();
  }

  findById(id: string): Promise<User | null> {
    return this.ds.getRepository(User).findOneBy({ id });
  }

  async findManyByIds(ids: string[]): Promise<Map<string, User>> {
    if (ids.length === 0) return new Map();
    const users = await this.ds
      .getRepository(User)
      .createQueryBuilder('u')
      .where('u.id IN (:...ids)', { ids })
      .getMany();
    return new Map(users.map((u) => [u.id, u]));
  }
}
