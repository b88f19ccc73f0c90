/** `stochastic-smoothing demo`: a short tour (backends, then one smoothed permutation matrix with a VJP). */
import { estimateCommand } from './estimate.js';
import { parseFlags } from './flags.js';
import { info } from './info.js';


export async function demoCommand(args: string[]): Promise<number> {
  parseFlags('demo', args, { help: { type: 'boolean', short: 'h', default: false } });
  info(false);
  console.log('\nThe expected permutation matrix of 5 scores under Laplace noise (rows: items, columns: positions):');
  await estimateCommand(['permutation', '--n', '5', '--x', '0.1,1.3,0.4,2.0,0.35', '--distribution', 'laplace', '--scale', '0.5', '--samples', '4096', '--vjp', '1,0,0,0,0,0,1,0,0,0,0,0,1,0,0,0,0,0,1,0,0,0,0,0,1']);
  console.log('\nMore: stochastic-smoothing help');
  return 0;
}
