/**
 * Sobol points from the Joe–Kuo direction numbers (S. Joe and F. Y. Kuo, "Constructing Sobol sequences with
 * better two-dimensional projections", SIAM J. Sci. Comput. 30, 2008; table new-joe-kuo-6.21201, shipped by
 * the `sobol` npm package as dims21201.txt). 32-bit direction integers, Antonov–Saleev (Gray-code) order,
 * random access: point i is the XOR of the direction integers selected by the set bits of i ^ (i >>> 1).
 *
 * The first 2^m points of any dimension hit every interval [k/2^m, (k+1)/2^m) exactly once, and the first
 * 2^m points as a whole form a (t, m, s)-net: that is why power-of-two sample counts are preferred (any
 * count is accepted; a prefix of other length is still a low-discrepancy set, just not a net).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { SmoothingError } from '../errors.js';
import { TWO_POW_M32 } from './philox.js';

/** Dimensions available: van der Corput plus the 21200 rows of new-joe-kuo-6.21201. */
export const SOBOL_MAX_DIMS = 21201;
/** Direction integers per dimension (32-bit points). */
export const SOBOL_BITS = 32;

let tableText: string | undefined;
let tablePos = 0; // offset of the next unparsed row in tableText
let parsedDims = 0;
let directions = new Uint32Array(0); // v[d·32 + j], grown on demand

function loadTable(): string {
  if (tableText === undefined) {
    const require = createRequire(import.meta.url);
    const dir = dirname(require.resolve('sobol/package.json'));
    tableText = readFileSync(join(dir, 'dims21201.txt'), 'utf8');
    tablePos = tableText.indexOf('\n') + 1; // skip the header "d s a m_i"
  }
  return tableText;
}

/** Next table row as numbers [d, s, a, m_1..m_s]; parsing stops at the rows actually needed. */
function nextRow(): number[] {
  const text = loadTable();
  let end = text.indexOf('\n', tablePos);
  if (end < 0) end = text.length;
  const line = text.slice(tablePos, end).trim();
  tablePos = end + 1;
  return line.split(/\s+/).map(Number);
}

/** Direction integers of dimension 0: van der Corput, v_j = 2^(31−j). */
function vanDerCorput(v: Uint32Array, base: number): void {
  for (let j = 0; j < SOBOL_BITS; j++) v[base + j] = 2 ** (31 - j);
}

/**
 * Joe–Kuo recurrence for one table row (s, a, m_1..m_s), with V_j = m_j·2^(32−j) (1-based j):
 * V_j = V_{j−s} ^ (V_{j−s} >> s) ^ XOR_{k=1}^{s−1} a_k·V_{j−k}, a_k the k-th bit of a from the top (s−1 bits).
 */
function joeKuo(v: Uint32Array, base: number, s: number, a: number, m: number[]): void {
  for (let j = 0; j < SOBOL_BITS; j++) {
    if (j < s) {
      v[base + j] = (m[j] * 2 ** (31 - j)) >>> 0; // m_j < 2^j, so this is < 2³²
      continue;
    }
    let x = (v[base + j - s] ^ (v[base + j - s] >>> s)) >>> 0;
    for (let k = 1; k < s; k++) {
      if ((a >>> (s - 1 - k)) & 1) x = (x ^ v[base + j - k]) >>> 0;
    }
    v[base + j] = x;
  }
}

/**
 * Direction integers for at least `dims` dimensions, flat: v[d·32 + j]. Parses only the rows it needs
 * (and keeps them for later calls).
 */
export function sobolDirections(dims: number): Uint32Array {
  if (!Number.isInteger(dims) || dims < 1 || dims > SOBOL_MAX_DIMS) {
    throw new SmoothingError('ERR_UNSUPPORTED', `Sobol points exist for 1..${SOBOL_MAX_DIMS} dimensions.`, {
      argument: 'dims',
      value: dims,
      fix: `use dims ≤ ${SOBOL_MAX_DIMS}, or the rqmc-latin sampler (any dimension)`,
    });
  }
  if (dims <= parsedDims) return directions;
  const grown = new Uint32Array(dims * SOBOL_BITS);
  grown.set(directions.subarray(0, parsedDims * SOBOL_BITS));
  for (let d = parsedDims; d < dims; d++) {
    if (d === 0) {
      vanDerCorput(grown, 0);
      continue;
    }
    const row = nextRow();
    // Joe–Kuo numbers dimensions from 1 (van der Corput); our dimension d is their d + 1.
    if (row[0] !== d + 1) throw new SmoothingError('ERR_INTERNAL', `dims21201.txt: expected row ${d + 1}, read ${row[0]}`);
    joeKuo(grown, d * SOBOL_BITS, row[1], row[2], row.slice(3));
  }
  directions = grown;
  parsedDims = dims;
  return directions;
}

/** The raw 32-bit Sobol integer of point i (0 ≤ i < 2³²) in dimension d, from sobolDirections(≥ d + 1). */
export function sobolInt(v: Uint32Array, i: number, d: number): number {
  let gray = (i ^ (i >>> 1)) >>> 0;
  let x = 0;
  let base = d * SOBOL_BITS;
  while (gray !== 0) {
    if (gray & 1) x ^= v[base];
    gray >>>= 1;
    base++;
  }
  return x >>> 0;
}

/** Raw Sobol coordinate x·2⁻³² in [0, 1) (point 0 is the origin; no clipping). */
export function sobolPoint(v: Uint32Array, i: number, d: number): number {
  return sobolInt(v, i, d) * TWO_POW_M32;
}
