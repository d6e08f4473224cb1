/**
 * Password hashing with Node's scrypt (OpenSSL): memory-hard, salted, run on the
 * libuv thread pool so the event loop keeps serving rooms. Format:
 * `scrypt$<log2N>$<salt b64>$<hash b64>`, so the cost can rise without breaking old hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';

const KEYLEN = 32;

/** How many scrypt derivations ran (tests check that a login always pays one). */
export const scryptStats = { calls: 0 };

function scrypt(password: string, salt: Buffer, logN: number): Promise<Buffer> {
  scryptStats.calls++;
  const N = 2 ** logN;
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, KEYLEN, { N, r: 8, p: 1, maxmem: 256 * N * 8 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string, logN: number): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, logN);
  return `scrypt$${logN}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, logN, salt, hash] = stored.split('$');
  if (alg !== 'scrypt' || !logN || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), Number(logN));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
