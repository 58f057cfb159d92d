#!/usr/bin/env node
import { run } from './program.js';

// A reader that stops early (`taskvault export | head`) closes the pipe: stop quietly, as other
// command-line tools do, rather than with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await run(process.argv.slice(2));
