/**
 * The CLI entry (the bin, lib/cli/bin.ts, calls main): dispatch to one file per command, `--version`, `help` and
 * `-h/--help` for every command, and the error policy: every failure is one line on stderr and an exit code
 * (1 an error, 2 a usage mistake), never a stack trace (STOCHASTIC_SMOOTHING_DEBUG=1 prints it).
 */
import { SmoothingError } from '../errors.js';
import { packageVersion } from '../experiments/results-folder.js';
import { nearest, UsageError, wantsHelp } from './flags.js';
import { COMMAND_HELP, PROGRAM_HELP } from './help.js';

type Command = (args: string[]) => Promise<number>;

// Loaded on use: `info` and `estimate` must not load the plotting (vega) or training (tfjs) code.
const COMMANDS: Record<string, () => Promise<Command>> = {
  info: async () => (await import('./info.js')).infoCommand,
  estimate: async () => (await import('./estimate.js')).estimateCommand,
  demo: async () => (await import('./demo.js')).demoCommand,
  variance: async () => (await import('./variance.js')).varianceCommand,
  samples: async () => (await import('./samples.js')).samplesCommand,
  merge: async () => (await import('./merge.js')).mergeCommand,
  train: async () => (await import('./train.js')).trainCommand,
};

/** One line for any failure; the code, when the error has one. */
export function describeError(err: unknown): string {
  // A SmoothingError may list several problems on several lines: one line all the same.
  if (err instanceof SmoothingError) return `error ${err.code}: ${err.message.replace(/\s*\n\s*/g, ' ')}`;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return `error${code ? ` ${code}` : ''}: ${err.message.split('\n')[0]}`;
  }
  return `error: ${String(err)}`;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && COMMAND_HELP[topic] === undefined) throw new UsageError(`unknown command ${JSON.stringify(topic)}${suggest(topic)}`, 'help');
      console.log(topic === undefined ? PROGRAM_HELP : COMMAND_HELP[topic]);
      return 0;
    }
    if (command === '--version' || command === '-V' || command === 'version') {
      console.log(packageVersion());
      return 0;
    }
    const load = COMMANDS[command];
    if (!load) {
      const what = command.startsWith('-') ? 'flag' : 'command';
      throw new UsageError(`unknown ${what} ${JSON.stringify(command)}${suggest(command)}`, '');
    }
    if (wantsHelp(rest)) {
      console.log(COMMAND_HELP[command]);
      return 0;
    }
    return await (await loadCommand(command, load))(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`usage error: ${err.message}`);
      return 2;
    }
    console.error(describeError(err));
    if (process.env.STOCHASTIC_SMOOTHING_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
    return 1;
  }
}

/** Load a command; a missing optional package (the plots' vega, vega-lite) is named with how to install it. */
export async function loadCommand(command: string, load: () => Promise<Command>): Promise<Command> {
  try {
    return await load();
  } catch (err) {
    const missing = /Cannot find (?:package|module) '([^']+)'/.exec((err as Error).message ?? '')?.[1];
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !missing || missing.startsWith('.') || missing.startsWith('/')) throw err;
    throw new SmoothingError('ERR_UNSUPPORTED', `the ${command} command needs the package ${missing}, which is not installed.`, {
      fix: `npm install ${missing.startsWith('vega') ? 'vega vega-lite' : missing}`,
      cause: err,
    });
  }
}

function suggest(word: string): string {
  const names = [...Object.keys(COMMANDS), 'help'];
  const flagLike = word.replace(/^-+/, '');
  const guess = nearest(flagLike, word.startsWith('-') ? ['version', 'help'] : names);
  return guess ? `; did you mean ${word.startsWith('-') ? `--${guess}` : guess}? (stochastic-smoothing help)` : '; see stochastic-smoothing help';
}
