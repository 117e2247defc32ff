import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/** The only form in which a user's openid is stored or logged. */
export function hashOpenid(openid: string, secret: string): string {
  return createHmac('sha256', secret).update(openid, 'utf8').digest('hex');
}

/** Seals a raw openid (needed later for a subscribe message) with AES-256-GCM. */
export function sealOpenid(openid: string, key: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(openid, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((part) => part.toString('base64')).join('.');
}

export function unsealOpenid(sealed: string, key: Buffer): string {
  const [iv, tag, body] = sealed.split('.').map((part) => Buffer.from(part, 'base64'));
  if (!iv || !tag || !body) throw new Error('sealed openid is malformed');
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}
