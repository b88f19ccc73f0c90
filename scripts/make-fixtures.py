#!/usr/bin/env python3
"""Writes the reference values in test/fixtures/*.json, read by the ava tests and by native/test/core_test.cc.

Run by hand from the repository root (needs Python 3 and mpmath; the Sobol part reads
node_modules/sobol/dims21201.txt, so run `npm ci` first):

    python3 scripts/make-fixtures.py

No value comes from this library. The sources, per file (test/fixtures/README.md says the same):

- distributions.json: closed forms evaluated with mpmath at 50 significant digits, then rounded once to the
  nearest double. The standard normal Φ is mpmath.ncdf, φ is mpmath.npdf, Φ⁻¹(u) the root of log Φ(x) = log u
  (Newton's method in mpmath, started from Python's statistics.NormalDist). The other five distributions are
  their textbook formulas (F, F⁻¹, density p, score −(log p)′), written out below.
- philox.json: the Random123 known-answer vectors (D. E. Shaw Research, github.com/DEShawResearch/random123,
  file tests/kat_vectors, the three "philox4x32 10" lines), copied as published.
- sobol.json: unscrambled Sobol points as 32-bit integers, computed here from the Joe–Kuo direction numbers
  (new-joe-kuo-6.21201, as shipped in the `sobol` npm package's dims21201.txt) by the textbook recurrence and
  Gray-code order (Bratley and Fox 1988; Joe and Kuo 2008). They agree with scipy.stats.qmc.Sobol(scramble=False,
  bits=32), which the tests cited before these fixtures existed.

Each file is a flat JSON object: "source" (a string) and arrays of numbers, each array a list of rows of a fixed
width named in test/fixtures/README.md, so that the C++ tests can read it with a few lines (native/test/fixtures.h).
"""
import json
import os
import statistics

import mpmath as mp

mp.mp.dps = 50
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
OUT = os.path.join(ROOT, 'test', 'fixtures')


def d(x):
    """The nearest double of an mpmath number, as a JSON-ready float (json writes the shortest round trip)."""
    return float(x)


# ---------------------------------------------------------------------------------------------------------
# Distributions. Inputs are doubles (exactly as JSON gives them back), taken exactly into mpmath.

def normal_ppf(u):
    u = mp.mpf(u)
    if u > 0.5:
        return -normal_ppf(1 - u)  # 1 − u is exact in mpmath
    x = mp.mpf(statistics.NormalDist().inv_cdf(float(u)))
    for _ in range(100):  # Newton on g(x) = log Φ(x) − log u, g′ = φ/Φ
        step = (mp.log(mp.ncdf(x)) - mp.log(u)) / (mp.npdf(x) / mp.ncdf(x))
        x -= step
        if abs(step) < mp.mpf(10) ** -45 * max(1, abs(x)):
            return x
    raise RuntimeError('Newton did not converge')


PPF_U = [1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-12, 1e-6, 0.001, 0.025, 0.075, 0.1, 0.3, 0.4999999, 0.6, 0.925,
         0.975, 0.999, 0.9999999999]
CDF_X = [-10, -8, -6, -5, -3, -1.5, -1, -0.66291, -0.5, -0.1, 0.3, 0.66291, 1, 2, 3, 5, 8]
CDF_DEEP_X = [-12.3, -20.7, -29.9, -37.1]
PDF_DEEP_X = [-30.3, 17.77]


def sign(x):
    return (x > 0) - (x < 0)


# name: (F, F⁻¹, p, score) as closed forms in mpmath. Standard forms, as in README "Distributions": gaussian
# N(0, 1); logistic with scale 1; gumbel (max) with location 0, scale 1; cauchy with scale 1; laplace with
# scale 1; triangular on [−1, 1] with mode 0.
DISTRIBUTIONS = {
    'gaussian': (mp.ncdf, normal_ppf, mp.npdf, lambda x: x),
    'logistic': (lambda x: 1 / (1 + mp.exp(-x)), lambda u: mp.log(u / (1 - u)),
                 lambda x: mp.exp(-x) / (1 + mp.exp(-x)) ** 2, lambda x: mp.tanh(x / 2)),
    'gumbel': (lambda x: mp.exp(-mp.exp(-x)), lambda u: -mp.log(-mp.log(u)),
               lambda x: mp.exp(-x - mp.exp(-x)), lambda x: 1 - mp.exp(-x)),
    'cauchy': (lambda x: mp.mpf(1) / 2 + mp.atan(x) / mp.pi, lambda u: mp.tan(mp.pi * (u - mp.mpf(1) / 2)),
               lambda x: 1 / (mp.pi * (1 + x * x)), lambda x: 2 * x / (1 + x * x)),
    'laplace': (lambda x: mp.exp(x) / 2 if x < 0 else 1 - mp.exp(-x) / 2,
                lambda u: mp.log(2 * u) if u < 0.5 else -mp.log(2 * (1 - u)),
                lambda x: mp.exp(-abs(x)) / 2, lambda x: mp.mpf(sign(x))),
    'triangular': (lambda x: (1 + x) ** 2 / 2 if x < 0 else 1 - (1 - x) ** 2 / 2,
                   lambda u: mp.sqrt(2 * u) - 1 if u < 0.5 else 1 - mp.sqrt(2 * (1 - u)),
                   lambda x: 1 - abs(x), lambda x: mp.mpf(sign(x)) / (1 - abs(x))),
}
POINTS_X = [-3, -1, -0.25, 0.5, 2]
TRIANGULAR_X = [-0.75, -0.25, 0.1, 0.5, 0.9]  # inside the support, away from the kinks
QUANTILES_U = [0.001, 0.1, 0.3, 0.7, 0.9, 0.999]


def distributions():
    out = {
        'source': 'closed forms in mpmath at 50 digits, rounded to the nearest double (scripts/make-fixtures.py)',
        'normal_ppf': [v for u in PPF_U for v in (u, d(normal_ppf(u)))],
        'normal_cdf': [v for x in CDF_X for v in (x, d(mp.ncdf(mp.mpf(x))))],
        'normal_cdf_deep': [v for x in CDF_DEEP_X for v in (x, d(mp.ncdf(mp.mpf(x))))],
        'normal_pdf_deep': [v for x in PDF_DEEP_X for v in (x, d(mp.npdf(mp.mpf(x))))],
    }
    for name, (cdf, icdf, pdf, score) in DISTRIBUTIONS.items():
        xs = TRIANGULAR_X if name == 'triangular' else POINTS_X
        out[f'{name}_points'] = [v for x in xs for v in (x, d(cdf(mp.mpf(x))), d(pdf(mp.mpf(x))), d(score(mp.mpf(x))))]
        rows = []
        for u in QUANTILES_U:
            e = icdf(mp.mpf(u))
            rows += [u, d(e), d(score(e))]
        out[f'{name}_quantiles'] = rows
    return out


# ---------------------------------------------------------------------------------------------------------
# Philox: published known-answer vectors, not computed.

def philox():
    kat = [
        '00000000 00000000 00000000 00000000 00000000 00000000   6627e8d5 e169c58d bc57ac4c 9b00dbd8',
        'ffffffff ffffffff ffffffff ffffffff ffffffff ffffffff   408f276d 41c83b0e a20bc7c6 6d5451fd',
        '243f6a88 85a308d3 13198a2e 03707344 a4093822 299f31d0   d16cfe09 94fdcceb 5001e420 24126ea1',
    ]
    return {
        'source': 'Random123 tests/kat_vectors, the "philox4x32 10" lines (github.com/DEShawResearch/random123)',
        'philox4x32_10': [int(w, 16) for line in kat for w in line.split()],
    }


# ---------------------------------------------------------------------------------------------------------
# Sobol from the Joe–Kuo direction numbers.

BITS = 32


def directions(dims):
    """V[d][k] for k = 1 … 32 (V[d][0] unused): dimension 0 is van der Corput, the others from dims21201.txt."""
    v = [[0] + [1 << (BITS - k) for k in range(1, BITS + 1)]]
    with open(os.path.join(ROOT, 'node_modules', 'sobol', 'dims21201.txt')) as f:
        next(f)  # header: d s a m_i
        for line in f:
            if len(v) == dims:
                break
            fields = [int(t) for t in line.split()]
            s, a, m = fields[1], fields[2], fields[3:]
            row = [0] * (BITS + 1)
            for k in range(1, s + 1):
                row[k] = m[k - 1] << (BITS - k)
            for k in range(s + 1, BITS + 1):
                x = row[k - s] ^ (row[k - s] >> s)
                for j in range(1, s):
                    if (a >> (s - 1 - j)) & 1:
                        x ^= row[k - j]
                row[k] = x
            v.append(row)
    assert len(v) == dims
    return v


def sobol_int(v, i, dim):
    """Point i (Gray-code order: the XOR of V[k + 1] over the set bits k of i ^ (i >> 1)) in dimension dim."""
    g = i ^ (i >> 1)
    x = 0
    k = 1
    while g:
        if g & 1:
            x ^= v[dim][k]
        g >>= 1
        k += 1
    return x


def sobol():
    v8 = directions(8)
    high = []
    v1000 = directions(1000)
    for i in (12345, 1048577, 16777259):
        for col in (0, 1, 2, 500, 998, 999):
            high += [1000, i, col, sobol_int(v1000, i, col)]
    vmax = directions(21201)
    for i in (2, 3, 12345, 1048577):
        for col in (0, 1000, 21198, 21199, 21200):
            high += [21201, i, col, sobol_int(vmax, i, col)]
    return {
        'source': 'Joe-Kuo new-joe-kuo-6.21201 direction numbers (node_modules/sobol/dims21201.txt), Gray-code order, 32 bits',
        'first16_dims8': [sobol_int(v8, i, dim) for i in range(16) for dim in range(8)],
        'high_dims': high,
    }


def write(name, obj):
    lines = ['{']
    items = list(obj.items())
    for n, (key, value) in enumerate(items):
        comma = ',' if n + 1 < len(items) else ''
        lines.append(f'  {json.dumps(key)}: {json.dumps(value)}{comma}')
    lines.append('}')
    with open(os.path.join(OUT, name), 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    write('distributions.json', distributions())
    write('philox.json', philox())
    write('sobol.json', sobol())
    print('wrote test/fixtures/distributions.json, philox.json, sobol.json')
