/**
 * Procedural terrain maps: a shippable stand-in for the Warcraft maps of the paper's §4.3. A model sees
 * the rendered map, predicts one cost per cell, and the shortest path through those costs is trained to
 * match the true path (blackboxes.shortestPath: 8-neighbour, vertex-weighted, top-left to bottom-right).
 *
 * Terrain types, their HIDDEN costs (never rendered: the model must infer them from the look of a cell),
 * their base colours (RGB in [0, 1]) and textures:
 *
 *   type    cost   base colour          texture (offsets added to the base colour)
 *   road    0.8    (0.72, 0.68, 0.60)   cobbles: a pixel checkerboard, ±0.06
 *   grass   1.2    (0.38, 0.66, 0.28)   blades: about 30 % of pixels lighter, +(0.10, 0.18, 0.06)
 *   forest  3.0    (0.12, 0.36, 0.14)   tree crowns: a darker disc per cell (−0.06), lighter gaps (+0.10)
 *   hills   5.5    (0.58, 0.42, 0.22)   contour lines: a bright diagonal stripe every 3 pixels (+0.14, else −0.05)
 *   water   9.0    (0.14, 0.30, 0.74)   waves: alternating rows, +(0.05, 0.08, 0.10) / −(0.03, 0.05, 0.06)
 *
 * Every pixel then gets a per-map brightness factor in [0.9, 1.1] and independent Gaussian noise
 * (σ = 0.12 per channel), and is clamped to [0, 1]. One pixel is therefore ambiguous (the noise is about
 * half the distance between neighbouring colours), but the mean over a cell's patch × patch pixels
 * (16 for the default patch of 4) identifies the type almost always: the costs are learnable from pixels.
 *
 * Maps have spatial structure, drawn from the seeded generator in this order over a grass background:
 * 2–4 ragged forest blobs, 1–3 hill blobs, a 4-connected meandering river (70 % of maps, so that
 * diagonal steps cannot slip through it) and a lake (50 %), then 1–2 roads across the map (over water:
 * bridges). Blob sizes scale with min(rows, cols) / 12.
 */
import { invalid } from '../errors.js';
import { blackboxes } from '../blackboxes/index.js';
import type { Rng } from './rng.js';

export const ROAD = 0;
export const GRASS = 1;
export const FOREST = 2;
export const HILLS = 3;
export const WATER = 4;

export interface TerrainType {
  readonly name: string;
  /** The hidden cost of crossing a cell of this type. */
  readonly cost: number;
  /** Base colour, RGB in [0, 1]. */
  readonly colour: readonly [number, number, number];
}

/** The five terrain types, indexed by the codes ROAD .. WATER (the table in this file's header). */
export const TERRAIN_TYPES: readonly TerrainType[] = [
  { name: 'road', cost: 0.8, colour: [0.72, 0.68, 0.6] },
  { name: 'grass', cost: 1.2, colour: [0.38, 0.66, 0.28] },
  { name: 'forest', cost: 3.0, colour: [0.12, 0.36, 0.14] },
  { name: 'hills', cost: 5.5, colour: [0.58, 0.42, 0.22] },
  { name: 'water', cost: 9.0, colour: [0.14, 0.3, 0.74] },
];

/** Per-pixel noise of the rendering (standard deviation per channel). */
export const PIXEL_NOISE = 0.12;

/** A batch of maps. */
export interface TerrainBatch {
  /** count × (rows·patch) × (cols·patch) × 3, RGB in [0, 1], row-major HWC. */
  readonly images: Float32Array;
  /** count × rows·cols true cell costs, row-major (cell (r, c) at r·cols + c). */
  readonly costs: Float32Array;
  /** count × rows·cols terrain codes (ROAD .. WATER). */
  readonly types: Uint8Array;
}

function requireInteger(value: unknown, argument: string, call: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw invalid(argument, value, `${call}: ${argument} must be an integer from ${min} to ${max}.`, `pass ${argument} between ${min} and ${max}`);
  }
  return value;
}

/** Paints the cells whose centres lie within a ragged radius of a random centre. */
function paintBlob(rng: Rng, types: Uint8Array, rows: number, cols: number, type: number, radius: number): void {
  const cy = rng.next() * rows;
  const cx = rng.next() * cols;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // A random jitter of the radius per cell gives ragged, natural-looking edges.
      const reach = radius + 0.6 * (rng.next() - 0.5);
      if (Math.hypot(r + 0.5 - cy, c + 0.5 - cx) < reach) types[r * cols + c] = type;
    }
  }
}

/**
 * Paints a 4-connected line across the map (a river or a road): along the main axis one cell per step,
 * with a sideways step of ±1 (whose corner cell is painted too) with probability `turn`.
 */
function paintLine(rng: Rng, types: Uint8Array, rows: number, cols: number, type: number, turn: number): void {
  const vertical = rng.next() < 0.5;
  const length = vertical ? rows : cols;
  const across = vertical ? cols : rows;
  const paint = (main: number, side: number): void => {
    types[vertical ? main * cols + side : side * cols + main] = type;
  };
  let side = rng.int(across);
  for (let main = 0; main < length; main++) {
    paint(main, side);
    if (rng.next() < turn) {
      const step = rng.next() < 0.5 ? -1 : 1;
      const next = side + step;
      if (next >= 0 && next < across) {
        side = next;
        paint(main, side); // the corner cell keeps the line 4-connected
      }
    }
  }
}

/** The terrain codes of one map (see the header for the recipe). */
function generateTypes(rng: Rng, types: Uint8Array, rows: number, cols: number): void {
  types.fill(GRASS);
  const scale = Math.min(rows, cols) / 12;
  const forests = 2 + rng.int(3);
  for (let i = 0; i < forests; i++) paintBlob(rng, types, rows, cols, FOREST, (1.2 + 1.8 * rng.next()) * scale);
  const hills = 1 + rng.int(3);
  for (let i = 0; i < hills; i++) paintBlob(rng, types, rows, cols, HILLS, (1.0 + 1.5 * rng.next()) * scale);
  if (rng.next() < 0.7) paintLine(rng, types, rows, cols, WATER, 0.45);
  if (rng.next() < 0.5) paintBlob(rng, types, rows, cols, WATER, (1.0 + 1.2 * rng.next()) * scale);
  const roads = 1 + rng.int(2);
  for (let i = 0; i < roads; i++) paintLine(rng, types, rows, cols, ROAD, 0.15);
}

/**
 * The texture offset of pixel (y, x) of the map (global coordinates, so patterns run on across cells),
 * at (py, px) inside its cell, written into `out` (RGB).
 */
function texture(rng: Rng, type: number, y: number, x: number, py: number, px: number, patch: number, out: Float64Array): void {
  switch (type) {
    case ROAD: {
      const d = (y + x) & 1 ? 0.06 : -0.06;
      out[0] = d;
      out[1] = d;
      out[2] = d;
      return;
    }
    case GRASS: {
      const blade = rng.next() < 0.3;
      out[0] = blade ? 0.1 : 0;
      out[1] = blade ? 0.18 : 0;
      out[2] = blade ? 0.06 : 0;
      return;
    }
    case FOREST: {
      const centre = (patch - 1) / 2;
      const crown = Math.hypot(py - centre, px - centre) < 0.4 * patch;
      const d = crown ? -0.06 : 0.1;
      out[0] = d;
      out[1] = d;
      out[2] = d;
      return;
    }
    case HILLS: {
      const d = (y + x) % 3 === 0 ? 0.14 : -0.05;
      out[0] = d;
      out[1] = d;
      out[2] = d;
      return;
    }
    default: {
      const crest = y % 2 === 0;
      out[0] = crest ? 0.05 : -0.03;
      out[1] = crest ? 0.08 : -0.05;
      out[2] = crest ? 0.1 : -0.06;
    }
  }
}

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * `count` random maps of rows × cols cells, each cell rendered as patch × patch pixels.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for non-integer or out-of-range sizes.
 */
export function terrainBatch(rng: Rng, count: number, rows = 12, cols = 12, patch = 4): TerrainBatch {
  const call = 'terrainBatch';
  requireInteger(count, 'count', call, 1, 1 << 20);
  requireInteger(rows, 'rows', call, 1, 1024);
  requireInteger(cols, 'cols', call, 1, 1024);
  requireInteger(patch, 'patch', call, 1, 64);
  const cells = rows * cols;
  const height = rows * patch;
  const width = cols * patch;
  const pixels = height * width * 3;
  const images = new Float32Array(count * pixels);
  const costs = new Float32Array(count * cells);
  const types = new Uint8Array(count * cells);
  const offset = new Float64Array(3);

  for (let map = 0; map < count; map++) {
    const mapTypes = types.subarray(map * cells, (map + 1) * cells);
    generateTypes(rng, mapTypes, rows, cols);
    for (let i = 0; i < cells; i++) costs[map * cells + i] = TERRAIN_TYPES[mapTypes[i]].cost;
    const brightness = 0.9 + 0.2 * rng.next();
    const base = map * pixels;
    for (let y = 0; y < height; y++) {
      const r = (y / patch) | 0;
      for (let x = 0; x < width; x++) {
        const c = (x / patch) | 0;
        const type = mapTypes[r * cols + c];
        const colour = TERRAIN_TYPES[type].colour;
        texture(rng, type, y, x, y - r * patch, x - c * patch, patch, offset);
        const p = base + (y * width + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          images[p + ch] = clamp01(brightness * (colour[ch] + offset[ch]) + PIXEL_NOISE * rng.normal());
        }
      }
    }
  }
  return { images, costs, types };
}

/**
 * The true shortest paths of `count` cost maps (count × rows·cols, row-major), by the library's black box
 * blackboxes.shortestPath(rows, cols): count × rows·cols masks, 1 on the path from (0, 0) to
 * (rows-1, cols-1), 0 elsewhere.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for bad sizes or a costs array that is too short.
 */
export function shortestPaths(costs: Float32Array, count: number, rows: number, cols: number): Float32Array {
  // The black box checks the sizes and the lengths (count a non-negative integer, enough costs).
  const box = blackboxes.shortestPath(rows, cols);
  const paths = new Float32Array(Math.max(0, count) * rows * cols);
  box.evaluate(costs, count, paths);
  return paths;
}

/**
 * The cost of a path: the sum (in double) of costs[offset + i] over the cells i < `cells` where
 * path[offset + i] is 1 (more exactly, above 0.5, so a 0/1 mask stored with rounding still counts).
 * With the defaults it prices the first 12×12 map; pass offset = k·cells for map k of a batch.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` when the range runs past either array.
 */
export function pathCost(costs: Float32Array, path: Float32Array, offset = 0, cells = 144): number {
  const call = 'pathCost';
  requireInteger(offset, 'offset', call, 0, Number.MAX_SAFE_INTEGER);
  requireInteger(cells, 'cells', call, 1, Number.MAX_SAFE_INTEGER);
  if (offset + cells > costs.length || offset + cells > path.length) {
    throw invalid(
      'cells',
      cells,
      `${call}: offset + cells = ${offset + cells} runs past costs (${costs.length}) or path (${path.length}).`,
      'pass the offset and cell count of one map inside both arrays',
    );
  }
  let total = 0;
  for (let i = offset; i < offset + cells; i++) if (path[i] > 0.5) total += costs[i];
  return total;
}
