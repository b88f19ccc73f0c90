/**
 * A black box that runs another one and post-processes its rows: z ↦ post(z, f(z)). The wrappers of loss
 * smoothing (lib/loss.ts, withLoss) and of the Fenchel–Young loss (lib/fenchel-young.ts) are both this shape.
 * f writes into a scratch buffer kept between calls; the composite is synchronous when f is (so it works with
 * forwardSync and the tfjs ops) and returns f's Promise, continued by `post`, when f is asynchronous.
 */
import type { BlackBox } from '../types.js';

/** Write the `outputs` of `count` rows from the `inputs` and f's outputs `inner` (count × f.outputSize). */
export type PostProcess = (inputs: Float32Array, count: number, inner: Float32Array, outputs: Float32Array, batchIndex: Uint32Array | undefined) => void;

export function composeBox(f: BlackBox, name: string, outputSize: number, post: PostProcess): BlackBox {
  const m = f.outputSize;
  let scratch = new Float32Array(0);
  return {
    name,
    inputSize: f.inputSize,
    outputSize,
    evaluate(inputs, count, outputs, batchIndex) {
      if (scratch.length < count * m) scratch = new Float32Array(count * m);
      const inner = scratch.subarray(0, count * m);
      const finish = () => post(inputs, count, inner, outputs, batchIndex);
      const ret = f.evaluate(inputs, count, inner, batchIndex);
      if (ret !== undefined && typeof (ret as Promise<void>).then === 'function') return (ret as Promise<void>).then(finish);
      finish();
    },
  };
}
