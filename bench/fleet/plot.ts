/**
 * The fleet figure as a self-contained SVG (no browser, no plotting library): one horizontal bar per
 * behaviour, grouped by cloud, length = plugin execs per second across the pool.
 */

export interface Bar {
  group: string;
  label: string;
  value: number;
  /** upstream, credkit, or credkit with a non-default setting. */
  kind: 'upstream' | 'credkit' | 'setting';
}

const COLOURS: Record<Bar['kind'], string> = { upstream: '#b0b0b0', credkit: '#2f6fb0', setting: '#7fb2e5' };
const escapeXml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function barChart(title: string, unit: string, bars: Bar[]): string {
  // About 6.5 px per character of 12 px sans-serif: room for the longest label.
  const labelWidth = Math.max(200, 16 + 6.5 * Math.max(...bars.map((bar) => bar.group.length + bar.label.length + 2)));
  const plotWidth = 460;
  const rowHeight = 22;
  const groupGap = 14;
  const top = 48;
  const max = Math.max(1, ...bars.map((bar) => bar.value));
  const rows: string[] = [];
  let y = top;
  let previous: string | undefined;
  for (const bar of bars) {
    if (previous !== undefined && bar.group !== previous) y += groupGap;
    previous = bar.group;
    const width = Math.max(1, (bar.value / max) * plotWidth);
    rows.push(
      `<text x="${labelWidth - 8}" y="${y + 15}" text-anchor="end">${escapeXml(`${bar.group}: ${bar.label}`)}</text>`,
      `<rect x="${labelWidth}" y="${y + 3}" width="${width.toFixed(1)}" height="${rowHeight - 6}" fill="${COLOURS[bar.kind]}"/>`,
      `<text x="${(labelWidth + width + 6).toFixed(1)}" y="${y + 15}">${bar.value.toFixed(1)}</text>`,
    );
    y += rowHeight;
  }
  const height = y + 40;
  const legend = (Object.keys(COLOURS) as Bar['kind'][]).map(
    (kind, i) =>
      `<rect x="${labelWidth + i * 150}" y="${height - 26}" width="12" height="12" fill="${COLOURS[kind]}"/><text x="${labelWidth + i * 150 + 18}" y="${height - 16}">${kind === 'setting' ? 'credkit, other setting' : kind}</text>`,
  );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelWidth + plotWidth + 80}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<text x="10" y="36" fill="#555">${escapeXml(unit)}</text>`,
    ...rows,
    ...legend,
    '</svg>',
    '',
  ].join('\n');
}
