/** Markdown building blocks of the report: number formats and tables. */

/** `12.3k`, `950`. */
export function formatOps(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n >= 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n >= 1000) return `${(n / 1000).toFixed(2)}k`;
  return n.toFixed(0);
}

/** Milliseconds with 2–3 significant digits. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  if (ms >= 1) return ms.toFixed(2);
  return ms.toFixed(3);
}

export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`;
}

export function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '/').slice(0, 160);
}
