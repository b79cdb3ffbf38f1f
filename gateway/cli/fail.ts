/**
 * How the CLI fails: one line on stderr, `fngate: <what went wrong>; <how to fix it>`, and an exit code
 * from one short list (printed by `fngate --help`).
 */
import { paint } from './color.ts';

/** The command did what was asked. */
export const EXIT_OK = 0;
/** The operation failed: the gateway answered an error status, could not be reached, or the run failed. */
export const EXIT_FAILED = 1;
/** Usage or configuration: a bad option or argument, an unreadable file, an invalid fngate.yml. */
export const EXIT_USAGE = 2;

export const EXIT_CODES_HELP = `
Exit codes:
  ${EXIT_OK}  ok
  ${EXIT_FAILED}  the operation failed (an error status such as 435 or 430, no gateway at --url, a failed load run)
  ${EXIT_USAGE}  usage or configuration error (unknown option, bad --event file, invalid fngate.yml, init over existing files)`;

export class CliError extends Error {
  readonly fix: string;
  readonly exitCode: number;

  constructor(what: string, fix: string, exitCode: number) {
    super(what);
    this.name = 'CliError';
    this.fix = fix;
    this.exitCode = exitCode;
  }
}

/** The one line an error is printed as. */
export function errorLine(what: string, fix: string): string {
  return `${paint('red', 'fngate:', process.stderr)} ${what}; ${fix}\n`;
}

/** Prints the error line and exits: for the paths that cannot unwind to main (a running server). */
export function exitWith(error: CliError): never {
  process.stderr.write(errorLine(error.message, error.fix));
  process.exit(error.exitCode);
}
