/** `stochastic-smoothing info`: version, backends, and why each is or is not available. */
import { backends } from '../backends/index.js';
import { packageVersion } from '../experiments/results-folder.js';
import { parseFlags } from './flags.js';


export function info(json: boolean): void {
  const list = backends();
  if (json) {
    console.log(JSON.stringify({ name: 'stochastic-smoothing', version: packageVersion(), node: process.version, backends: list }, null, 2));
    return;
  }
  console.log(`stochastic-smoothing ${packageVersion()} (Node ${process.version})`);
  for (const b of list) {
    console.log(`  ${b.name.padEnd(5)} ${b.available ? 'available  ' : 'unavailable'} ${b.device ?? ''}${b.reason ? b.reason : ''}`);
  }
}

export async function infoCommand(args: string[]): Promise<number> {
  const { values } = parseFlags('info', args, { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } });
  info(values.json ?? false);
  return 0;
}
