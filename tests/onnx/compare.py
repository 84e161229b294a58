"""compare.py — mxrt's outputs against PyTorch's (issue #17's tests).

  compare.py OUTPUT.csv REFERENCE.f32 [TOL]
      mxrt's output (predict --output, one sample a row) against PyTorch's
      raw float32 output: the worst |mxrt - PyTorch| over the largest
      |PyTorch| of the tensor must be <= TOL (default 1e-4). Prints it.
  compare.py --classes PREDICTIONS.txt REFERENCE.f32 [GAP]
      mxrt's predicted classes (one per line) against the argmax of
      PyTorch's outputs: any difference must be a near-tie in PyTorch's
      own output (top two within GAP, default 1e-5). Prints the counts."""
import sys

import numpy as np


def main():
    a = sys.argv[1:]
    if len(a) >= 3 and a[0] == '--classes':
        pred = np.loadtxt(a[1], dtype=np.int64, ndmin=1)
        ref = np.fromfile(a[2], '<f4').reshape(len(pred), -1)
        gap = float(a[3]) if len(a) > 3 else 1e-5
        top2 = np.sort(ref, axis=1)[:, -2:]
        differ = pred != ref.argmax(axis=1)
        bad = differ & (top2[:, 1] - top2[:, 0] > gap)
        print('%d predictions: %d equal PyTorch\'s, %d differ at near-ties (gap <= %g), %d differ otherwise'
              % (len(pred), (~differ).sum(), (differ & ~bad).sum(), gap, bad.sum()))
        sys.exit(1 if bad.any() else 0)
    if len(a) < 2:
        sys.exit(__doc__)
    out = np.loadtxt(a[0], delimiter=',', ndmin=2)
    ref = np.fromfile(a[1], '<f4')
    tol = float(a[2]) if len(a) > 2 else 1e-4
    if out.size != ref.size:
        print('compare.py: %s has %d values, %s %d' % (a[0], out.size, a[1], ref.size))
        sys.exit(1)
    ref = ref.reshape(out.shape)
    worst = np.abs(out - ref).max() / max(np.abs(ref).max(), 1e-30)
    print('worst |mxrt - PyTorch| / max |PyTorch| = %.2e (tolerance %g)' % (worst, tol))
    sys.exit(0 if worst <= tol else 1)


if __name__ == '__main__':
    main()
