/** Entry point of `pnpm bench` (built to dist/index.js). See `--help`. */
import { main } from './cli.js';

const outcome = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
process.exitCode = outcome.exitCode;
