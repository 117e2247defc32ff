import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local runtime's own secrets (openid HMAC key, sealing key), made once per DATA_DIR and kept
 * there (git-ignored), so that stored hashes stay valid across restarts. In the cloud these come
 * from the functions' environment variables.
 */
export function localSecrets(dataDir: string): { OPENID_HASH_SECRET: string; OPENID_SEAL_KEY: string } {
  const file = join(dataDir, 'secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { OPENID_HASH_SECRET: string; OPENID_SEAL_KEY: string };
  const secrets = { OPENID_HASH_SECRET: randomBytes(32).toString('hex'), OPENID_SEAL_KEY: randomBytes(32).toString('base64') };
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  return secrets;
}
