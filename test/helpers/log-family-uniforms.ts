/**
 * The uniforms test/log-family.test.ts feeds through the logistic and Gumbel F⁻¹: 2²⁰ sampler-like values
 * (k + ½)·2⁻³² from pseudo-random 32-bit words, then every region where the formulas or fdlibm's branches
 * switch: the clip bounds and beyond (0, 2⁻³³, the first 32-bit uniforms), ½ and its neighbours at several
 * spacings, the logistic tail/centre switch at ¼ and ¾, u near 1 (Gumbel's log1p of tiny arguments), and
 * 1 − u near √2/2 (fdlibm log1p's reduction switch).
 */
export function logFamilyUniforms(): Float64Array {
  const u: number[] = [0, 1, 2 ** -33, 1 - 2 ** -33, 2 ** -40, 1e-300, 0.25, 0.5, 0.75];
  let s = 0x9e3779b9;
  for (let k = 0; k < 1 << 20; k++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    u.push(((s >>> 0) + 0.5) * 2 ** -32);
  }
  for (let k = 0; k < 4000; k++) {
    u.push((k + 0.5) * 2 ** -32, 1 - (k + 0.5) * 2 ** -32); // both tails on the sampler grid
    u.push(2 ** -33 + k * 2 ** -60, 1 - 2 ** -33 - k * 2 ** -53); // at the clip bounds, off the grid
    for (const c of [0.25, 0.5, 0.75]) u.push(c + (k - 2000) * 2 ** -52, c + (k - 2000) * 2 ** -33);
    u.push(0.5 + (k - 2000) * 2 ** -45);
    u.push(Math.SQRT1_2 + (k - 2000) * 2 ** -32, 1 - Math.SQRT1_2 + (k - 2000) * 2 ** -32);
  }
  return new Float64Array(u);
}
