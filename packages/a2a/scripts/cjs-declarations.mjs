// Runs after tsup: marks the SDK imports of the CommonJS declarations (dist/index.d.cts) as ESM
// imports. `@a2a-js/sdk` ships ESM declarations only; a CommonJS declaration file importing them
// plainly fails `module: node16` (TS1479), while a type import with `resolution-mode: 'import'`
// is what TypeScript asks for. The bundler of declarations drops the attribute the sources carry
// (src/sdk-types.ts), so it is put back here.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../dist/index.d.cts', import.meta.url);
const text = readFileSync(file, 'utf8');
const fixed = text.replace(
  /^import (?:type )?\{([^}]*)\} from '(@a2a-js\/sdk(?:\/[a-z/]+)?)';$/gm,
  "import type {$1} from '$2' with { 'resolution-mode': 'import' };",
);
if (!/resolution-mode/.test(fixed)) throw new Error('dist/index.d.cts: no @a2a-js/sdk import to mark as ESM');
writeFileSync(file, fixed);
