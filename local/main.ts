import { resolve } from 'node:path';
import { readCloudProfile, describeProfile } from './profile/cloudProfile';
import { startRuntime } from './runtime';

const root = resolve(__dirname, '..');
const port = Number(process.env.PORT ?? 8787);
const dataDir = resolve(process.env.DATA_DIR ?? '.data');
const timerSeconds = process.env.TIMER_INTERVAL_SECONDS;
let profile: ReturnType<typeof readCloudProfile> = null;
try {
  profile = readCloudProfile(process.env);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}

startRuntime({
  port,
  dataDir,
  functionsDir: resolve(root, 'cloudfunctions'),
  instanceScript: resolve(__dirname, 'instance.cjs'),
  configuredEnv: { ...process.env },
  // FUNCTIONS_NODE: a Node binary to run the functions on (e.g. the CloudBase runtime version the tests use).
  ...(process.env.FUNCTIONS_NODE ? { functionsNode: process.env.FUNCTIONS_NODE } : {}),
  ...(Number(process.env.FUNCTION_MAX_INSTANCES) >= 1 ? { maxInstancesPerFunction: Math.floor(Number(process.env.FUNCTION_MAX_INSTANCES)) } : {}),
  timers: timerSeconds !== '0',
  prewarm: process.env.PREWARM_FUNCTIONS !== '0',
  profile,
  ...(timerSeconds && timerSeconds !== '0' ? { timerIntervalMs: Number(timerSeconds) * 1000 } : {}),
}).then(
  (runtime) => {
    console.log(`local runtime on ${runtime.url} (data in ${dataDir}); preview at ${runtime.url}/`);
    if (profile) console.log(describeProfile(profile));
    const stop = () => {
      runtime.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
