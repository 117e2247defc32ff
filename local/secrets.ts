import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LocalSecrets {
  OPENID_HASH_SECRET: string;
  OPENID_SEAL_KEY: string;
  /** The stream tickets' HMAC key (core/streaming/ticket.ts). */
  STREAM_TICKET_SECRET: string;
}

/**
 * The local runtime's own secrets (openid HMAC key, sealing key, stream ticket key), made once per
 * DATA_DIR and kept there (git-ignored), so that stored hashes and issued tickets stay valid across
 * restarts. In the cloud these come from the functions' environment variables. A DATA_DIR made
 * before a secret existed gets that one added, the others kept.
 */
export function localSecrets(dataDir: string): LocalSecrets {
  const file = join(dataDir, 'secrets.json');
  const kept = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>) : {};
  const secrets: LocalSecrets = {
    OPENID_HASH_SECRET: kept.OPENID_HASH_SECRET ?? randomBytes(32).toString('hex'),
    OPENID_SEAL_KEY: kept.OPENID_SEAL_KEY ?? randomBytes(32).toString('base64'),
    STREAM_TICKET_SECRET: kept.STREAM_TICKET_SECRET ?? randomBytes(32).toString('hex'),
  };
  if (Object.keys(secrets).some((key) => kept[key as keyof LocalSecrets] === undefined)) writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
