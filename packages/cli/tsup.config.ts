import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.base.js';

// A command, not a library to require(): ESM only, with the bin as a second entry.
export default defineConfig(publishedPackage({ entry: ['src/index.ts', 'src/bin.ts'], format: ['esm'] }));
