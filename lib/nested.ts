/**
 * Inputs given as nested arrays, one inner array per row (B×n, e.g. [[1, 2], [3, 4]]), are flattened to the
 * row-major layout the library works in. Flat inputs pass through unchanged (requireFiniteVector checks them).
 */
import { invalid } from './errors.js';

/** x as the public API accepts it: flat row-major numbers, or one array (or typed array) per row. */
export type RowsInput = Float32Array | Float64Array | readonly number[] | ReadonlyArray<ArrayLike<number>>;

/**
 * When `value` is an array of rows, returns its rows concatenated (a plain number array), after checking that
 * every row is an array-like of exactly `rowSize` numbers (a ragged or non-numeric row is an error naming it).
 * Anything else is returned as it is.
 */
export function flattenRows(value: unknown, rowSize: number, argument: string): unknown {
  if (!Array.isArray(value) || value.length === 0 || typeof value[0] === 'number') return value;
  const flat: number[] = new Array(value.length * rowSize);
  for (let r = 0; r < value.length; r++) {
    const row: unknown = value[r];
    const isRow = Array.isArray(row) || (ArrayBuffer.isView(row) && !(row instanceof DataView));
    if (!isRow) {
      throw invalid(`${argument}[${r}]`, row, `${argument} is an array of rows, but row ${r} is not an array.`, `pass every row as an array of ${rowSize} numbers`);
    }
    const values = row as ArrayLike<unknown>;
    if (values.length !== rowSize) {
      throw invalid(`${argument}[${r}]`, row, `row ${r} of ${argument} has ${values.length} numbers, but every row needs n = ${rowSize} (ragged rows).`, `give every row exactly ${rowSize} numbers`);
    }
    for (let j = 0; j < rowSize; j++) {
      const v = values[j];
      if (typeof v !== 'number') throw invalid(`${argument}[${r}][${j}]`, v, `${argument}[${r}][${j}] is not a number.`, 'pass numbers only (not strings)');
      flat[r * rowSize + j] = v;
    }
  }
  return flat;
}
