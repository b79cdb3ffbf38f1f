/**
 * Terminal colour for the CLI: only on a terminal that has colours by Node's own rules (tty.hasColors:
 * TERM, NO_COLOR, FORCE_COLOR, CI), as commander decides for its help.
 */
const CODES = { bold: [1, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], dim: [2, 22] } as const;

export type Style = keyof typeof CODES;

export function colorEnabled(stream: NodeJS.WriteStream = process.stdout): boolean {
  const force = process.env.FORCE_COLOR;
  // hasColors() is Node's own verdict (TERM, NO_COLOR, FORCE_COLOR, and CI: a CI run has no colours); commander
  // uses it for its help too, so our colour and commander's agree.
  const terminalHasColors = typeof (stream as { hasColors?: () => boolean }).hasColors === 'function' && (stream as { hasColors: () => boolean }).hasColors();
  return stream.isTTY === true && terminalHasColors && process.env.NO_COLOR === undefined && force !== '0' && force !== 'false';
}

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stdout): string {
  if (!colorEnabled(stream)) return text;
  const [open, close] = CODES[style];
  return `\x1b[${open}m${text}\x1b[${close}m`;
}
