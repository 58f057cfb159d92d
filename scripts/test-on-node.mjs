// Usage: node scripts/test-on-node.mjs <major> <package> [<package> ...]
// Runs the tests of the given workspace packages on Node.js <major> (see node-binary.mjs), so CI
// proves the published packages on the Node versions users run, not only on the machine's own.
// Native addons installed during the run (npm in the pack-and-install test) build against that
// version's own headers.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { nodeInstall } from './node-binary.mjs';

const [major, ...packages] = process.argv.slice(2);
if (!major || packages.length === 0) {
  process.stderr.write('usage: node scripts/test-on-node.mjs <major> <package> [<package> ...]\n');
  process.exit(2);
}
const dir = nodeInstall(major);
const env = {
  ...process.env,
  PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
  npm_config_nodedir: dir,
  TASKVAULT_TEST_NODE_MAJOR: major,
};
// The registry may sit behind a TLS proxy whose CA only the machine's npm config names (its
// `cafile`, in the global npmrc under the machine Node's prefix). npm under the downloaded Node
// reads no such file, and pnpm replaces npm's globalconfig in scripts' environments, so the CA is
// lost and npm fails with SELF_SIGNED_CERT_IN_CHAIN. Node itself trusts it through this variable.
const cafile = machineNpmCafile();
if (cafile !== undefined && env.NODE_EXTRA_CA_CERTS === undefined) env.NODE_EXTRA_CA_CERTS = cafile;

/** The CA file the machine's own npm (under the machine's Node) is configured with, if any. */
function machineNpmCafile() {
  const found = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' });
  const path = found.stdout?.trim() ?? '';
  return found.status === 0 && path !== '' && path !== 'null' && path !== 'undefined' ? path : undefined;
}

const version = spawnSync(join(dir, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stdout.write(`== tests on Node.js ${version}: ${packages.join(', ')}\n`);
const filters = packages.flatMap((p) => ['--filter', p]);
const result = spawnSync('pnpm', ['turbo', 'run', 'test', '--concurrency=1', ...filters], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
