// Usage: node scripts/test-on-node.mjs <major> <package> [<package> ...]
// Runs the tests of the given workspace packages on Node.js <major> (see node-binary.mjs), so CI
// proves the published packages on the Node versions users run, not only on the machine's own.
// Native addons installed during the run (npm in the pack-and-install test) build against that
// version's own headers.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
// The registry may sit behind a TLS proxy whose CA is in the system's store: the machine's Node
// (Debian's build) trusts that store, the downloaded Node only its own bundled list, so npm under
// it fails with SELF_SIGNED_CERT_IN_CHAIN. Give it the system's bundle as extra CAs.
const systemCas = systemCaBundle();
if (systemCas !== undefined) {
  env.NODE_EXTRA_CA_CERTS ??= systemCas;
  env.npm_config_cafile ??= systemCas;
}

/** The system's CA bundle (Debian's, or Fedora's), if the machine has one. */
function systemCaBundle() {
  return ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'].find((f) =>
    existsSync(f),
  );
}

const version = spawnSync(join(dir, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout.trim();
process.stdout.write(`== tests on Node.js ${version}: ${packages.join(', ')}\n`);
const filters = packages.flatMap((p) => ['--filter', p]);
const result = spawnSync('pnpm', ['turbo', 'run', 'test', '--concurrency=1', ...filters], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
