/**
 * Terminal colour for the CLI: only when the stream is a terminal, NO_COLOR is not set (no-color.org) and
 * FORCE_COLOR is not 0/false (as commander decides for its help).
 */
const CODES = { bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22] } as const;

export type Style = keyof typeof CODES;

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  return stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.TERM !== 'dumb' && force !== '0' && force !== 'false';
}

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!colorEnabled(stream)) return text;
  const [open, close] = CODES[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}
