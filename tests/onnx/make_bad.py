"""make_bad.py — ONNX files mxrt must refuse by name (issue #17's tests),
written with onnx.helper:

  /usr/bin/python3 tests/onnx/make_bad.py OUTDIR

  einsum.onnx      an ONNX op mxrt lacks (Einsum, node 'mix', opset 13)
  opset7.onnx      opset 7 (mxrt imports 9 to 17)
  domain.onnx      an op of a custom domain (com.example)
  rawlen.onnx      an initializer whose raw_data is shorter than its dims
  external.onnx    an initializer kept in an external file
  reflect.onnx     Pad in mode reflect (mxrt's Pad is constant only)
  dangling.onnx    a node reading a tensor nothing produces
  noout.onnx       a graph output no node produces"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def model(nodes, inits=(), opset=13, inputs=None, outputs=None):
    inputs = inputs or [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3])]
    outputs = outputs or [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)]
    g = helper.make_graph(nodes, 'bad', inputs, outputs, initializer=list(inits))
    return helper.make_model(g, opset_imports=[helper.make_opsetid('', opset)], producer_name='make_bad.py')


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    w = numpy_helper.from_array(np.ones((3, 4), np.float32), 'w')
    onnx.save(model([helper.make_node('Einsum', ['x', 'w'], ['y'], name='mix', equation='ij,jk->ik')], [w]),
              os.path.join(out, 'einsum.onnx'))
    onnx.save(model([helper.make_node('Relu', ['x'], ['y'], name='r')], opset=7), os.path.join(out, 'opset7.onnx'))
    onnx.save(model([helper.make_node('Frob', ['x'], ['y'], name='frob', domain='com.example')]),
              os.path.join(out, 'domain.onnx'))
    short = numpy_helper.from_array(np.ones((3, 4), np.float32), 'w')
    short.raw_data = short.raw_data[:20]
    onnx.save(model([helper.make_node('MatMul', ['x', 'w'], ['y'], name='mm')], [short]), os.path.join(out, 'rawlen.onnx'))
    ext = numpy_helper.from_array(np.ones((3, 4), np.float32), 'w')
    ext.ClearField('raw_data')
    ext.data_location = TensorProto.EXTERNAL
    ext.external_data.add(key='location', value='weights.bin')
    onnx.save(model([helper.make_node('MatMul', ['x', 'w'], ['y'], name='mm')], [ext]), os.path.join(out, 'external.onnx'))
    x4 = [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 1, 4, 4])]
    pads = numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), 'pads')
    onnx.save(model([helper.make_node('Pad', ['x', 'pads'], ['y'], name='pad', mode='reflect')], [pads], inputs=x4),
              os.path.join(out, 'reflect.onnx'))
    onnx.save(model([helper.make_node('Add', ['x', 'ghost'], ['y'], name='add')]), os.path.join(out, 'dangling.onnx'))
    onnx.save(model([helper.make_node('Relu', ['x'], ['z'], name='r')]), os.path.join(out, 'noout.onnx'))


if __name__ == '__main__':
    main()
