import { defineConfig } from 'tsup';
import { publishedPackage } from '../../tsup.base.js';

// The Lua scripts are embedded as strings, so dist is self-contained.
export default defineConfig(publishedPackage({ loader: { '.lua': 'text' } }));
