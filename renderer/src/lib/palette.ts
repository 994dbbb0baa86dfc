/** Chart colours: distinguishable in light and dark themes. Pure. */
export const PALETTE = [
  '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
  '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac',
  '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b',
];

export function colorAt(i: number): string {
  return PALETTE[((i % PALETTE.length) + PALETTE.length) % PALETTE.length]!;
}

export interface ChartTheme {
  text: string;
  muted: string;
  grid: string;
  background: string;
  dark: boolean;
}

export const LIGHT: ChartTheme = { text: '#1c2330', muted: '#667085', grid: '#e3e6eb', background: 'transparent', dark: false };
export const DARK: ChartTheme = { text: '#e6e9ef', muted: '#98a2b3', grid: '#2b313b', background: 'transparent', dark: true };

/** Axis styling shared by every chart builder. */
export function axisStyle(theme: ChartTheme) {
  return {
    axisLine: { lineStyle: { color: theme.grid } },
    axisLabel: { color: theme.muted },
    splitLine: { lineStyle: { color: theme.grid } },
    nameTextStyle: { color: theme.muted },
  };
}
