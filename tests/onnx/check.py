"""check.py — ONNX's own checker on a model mxrt exported (issue #17):
onnx.checker.check_model(model, full_check=True), which also runs ONNX's
shape inference over every node. Prints the opset and the op counts.

  /usr/bin/python3 tests/onnx/check.py MODEL.onnx"""
import collections
import sys

import onnx


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    model = onnx.load(sys.argv[1])
    onnx.checker.check_model(model, full_check=True)
    ops = collections.Counter(n.op_type for n in model.graph.node)
    print('check_model(full_check=True) passes: opset %d, %d nodes (%s)' % (
        model.opset_import[0].version, len(model.graph.node), ', '.join('%s %d' % kv for kv in sorted(ops.items()))))


if __name__ == '__main__':
    main()
