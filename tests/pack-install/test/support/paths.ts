import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The monorepo's root. */
export const workspace = resolve(here, '../../../..');
/** The user scripts and TypeScript files the scenarios copy into their projects. */
export const fixtures = resolve(here, '../../fixtures');
/** The workspace's TypeScript compiler, run on each user project. */
export const tsc = resolve(workspace, 'node_modules/typescript/bin/tsc');

/** Every package we publish, by its directory under packages/. */
export const PUBLISHED = [
  'core',
  'memory',
  'redis',
  'postgres',
  'sqlite',
  'cache',
  'conformance',
  'openai-agents',
  'a2a',
  'cli',
] as const;
export type Published = (typeof PUBLISHED)[number];
