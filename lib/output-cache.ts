/**
 * The bounded output cache (smooth option `outputCache`, README "Memory and the output cache"): the forward pass
 * keeps the black-box output of every (b, sample) so that vjp / jacobian / jvp / scaleGradient after it regenerate
 * only the noise and read the outputs instead of calling the box again. Outputs are stored compactly where their
 * kind is known:
 *
 *   'bits'  argmax, topk, permutation, shortestPath (0/1 outputs): one bit per output, each batch element's
 *           S·m bits starting on a byte boundary (so native work items of different b never share a byte);
 *   'u8' / 'u16' / 'u32'  ranks (integers 0 … n−1): the narrowest type that holds n − 1;
 *   'f32'   user boxes: the Float32 outputs as evaluated.
 *
 * The layout is the one the native engine reads and writes (native/engine/output_cache.h): element k of sample i
 * of batch element b sits at index (b·S + i)·m + k of the element formats, at bit i·m + k (least significant
 * bit first) of b's segment of ⌈S·m/8⌉ bytes in 'bits'. A cache filled by one backend can therefore be read by
 * another (the js reference engine serves standard errors for backends that lack them).
 */
import type { BuiltinSpec } from './blackboxes/spec.js';

/** What the cache needs of a Plan (lib/plan.ts, which imports this file's types: no import back). */
export interface CachePlan {
  readonly spec?: BuiltinSpec;
  readonly n: number;
  readonly m: number;
  readonly samples: number;
  readonly outputCache: number;
}

/** Default outputCache: 64 MiB per forward() result (README "Memory and the output cache"). */
export const DEFAULT_OUTPUT_CACHE = 64 * 2 ** 20;

export type CacheFormat = 'bits' | 'u8' | 'u16' | 'u32' | 'f32';

/** The storage of a box's outputs: compact for the built-ins (their output kind is known), Float32 otherwise. */
export function cacheFormat(spec: BuiltinSpec | undefined, n: number): CacheFormat {
  if (spec === undefined) return 'f32';
  if (spec.kind === 'ranks') return n <= 256 ? 'u8' : n <= 65536 ? 'u16' : 'u32';
  return 'bits';
}

const ELEMENT_BYTES: Record<Exclude<CacheFormat, 'bits'>, number> = { u8: 1, u16: 2, u32: 4, f32: 4 };

/** Bytes of a cache for B inputs of S samples of m outputs (a double: exact up to 2^53, compared with the cap). */
export function cacheBytes(format: CacheFormat, batch: number, samples: number, m: number): number {
  if (format === 'bits') return batch * Math.ceil((samples * m) / 8);
  return batch * samples * m * ELEMENT_BYTES[format];
}

/** The outputs of one forward pass, B×S×m, in `format`. */
export class OutputCache {
  /** The storage; native jobs receive this ArrayBuffer and fill or read it in place. */
  readonly buffer: ArrayBuffer;
  private readonly bytes: Uint8Array;
  private readonly elements?: Uint8Array | Uint16Array | Uint32Array | Float32Array;
  /** Bytes per batch element in 'bits'. */
  private readonly segment: number;

  constructor(
    readonly format: CacheFormat,
    readonly batch: number,
    readonly samples: number,
    readonly m: number,
  ) {
    this.buffer = new ArrayBuffer(cacheBytes(format, batch, samples, m));
    this.bytes = new Uint8Array(this.buffer);
    this.segment = Math.ceil((samples * m) / 8);
    if (format === 'u8') this.elements = this.bytes;
    else if (format === 'u16') this.elements = new Uint16Array(this.buffer);
    else if (format === 'u32') this.elements = new Uint32Array(this.buffer);
    else if (format === 'f32') this.elements = new Float32Array(this.buffer);
  }

  /** Keep the count×m outputs of samples start … start + count − 1 of batch element b. */
  store(b: number, start: number, count: number, outputs: Float32Array): void {
    const { m } = this;
    const len = count * m;
    if (this.elements !== undefined) {
      const at = (b * this.samples + start) * m;
      if (this.format === 'f32') (this.elements as Float32Array).set(len === outputs.length ? outputs : outputs.subarray(0, len), at);
      else for (let k = 0; k < len; k++) this.elements[at + k] = outputs[k];
      return;
    }
    const bytes = this.bytes;
    let bit = start * m;
    const base = b * this.segment;
    for (let k = 0; k < len; k++, bit++) {
      const byte = base + Math.floor(bit / 8);
      const mask = 1 << bit % 8;
      if (outputs[k] !== 0) bytes[byte] |= mask;
      else bytes[byte] &= ~mask;
    }
  }

  /** Write the kept outputs of samples start … start + count − 1 of batch element b to `outputs` (count×m). */
  load(b: number, start: number, count: number, outputs: Float32Array): void {
    const { m } = this;
    const len = count * m;
    if (this.elements !== undefined) {
      const at = (b * this.samples + start) * m;
      if (this.format === 'f32') outputs.set((this.elements as Float32Array).subarray(at, at + len));
      else for (let k = 0; k < len; k++) outputs[k] = this.elements[at + k];
      return;
    }
    const bytes = this.bytes;
    let bit = start * m;
    const base = b * this.segment;
    for (let k = 0; k < len; k++, bit++) outputs[k] = (bytes[base + Math.floor(bit / 8)] >> bit % 8) & 1;
  }
}

/**
 * The cache for a forward pass over `batch` inputs, or undefined when outputCache is 0, the outputs need more
 * than outputCache bytes, or the memory cannot be had (then the backward passes re-evaluate, as without a cache).
 */
export function createOutputCache(plan: CachePlan, batch: number): OutputCache | undefined {
  if (!(plan.outputCache > 0)) return undefined;
  const format = cacheFormat(plan.spec, plan.n);
  if (cacheBytes(format, batch, plan.samples, plan.m) > plan.outputCache) return undefined;
  try {
    return new OutputCache(format, batch, plan.samples, plan.m);
  } catch (err) {
    if (err instanceof RangeError) return undefined;  // an allocation the engine refuses: run without the cache
    throw err;
  }
}
