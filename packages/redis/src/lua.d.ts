/** Lua scripts are embedded as text at build time (tsup `loader: { '.lua': 'text' }`). */
declare module '*.lua' {
  const source: string;
  export default source;
}
