"""gen_onnx_seeds.py — the seed corpus of the onnx fuzz target
(fuzz/corpus/onnx/): one small model per op the importer converts or
folds, each at its typical attributes, written with onnx.helper so that
every seed is a valid model the fuzzer mutates from. Deterministic:

  /usr/bin/python3 fuzz/gen_onnx_seeds.py fuzz/corpus/onnx"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper as h, numpy_helper as nh

rng = np.random.RandomState(7)


def w(name, *shape, dtype=np.float32):
    return nh.from_array(rng.uniform(-1, 1, shape).astype(dtype), name)


def ints(name, values):
    return nh.from_array(np.array(values, np.int64), name)


def save(out, name, nodes, inits=(), shape=(1, 2, 4, 4), opset=13, outputs=('y',), dtype=T.FLOAT):
    g = h.make_graph(nodes, name, [h.make_tensor_value_info('x', dtype, list(shape))],
                     [h.make_tensor_value_info(o, T.FLOAT, None) for o in outputs], initializer=list(inits))
    m = h.make_model(g, opset_imports=[h.make_opsetid('', opset)], producer_name='gen_onnx_seeds.py')
    m.ir_version = 7
    onnx.save(m, os.path.join(out, name + '.onnx'))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    N = h.make_node
    for op in ('Relu', 'Sigmoid', 'Tanh', 'Softplus', 'Exp', 'Abs', 'Neg', 'Sqrt', 'Log', 'Identity', 'Dropout'):
        save(out, op.lower(), [N(op, ['x'], ['y'], name=op.lower())])
    save(out, 'leaky', [N('LeakyRelu', ['x'], ['y'], alpha=0.1)])
    save(out, 'elu', [N('Elu', ['x'], ['y'], alpha=0.7)])
    save(out, 'prelu', [N('PRelu', ['x', 's'], ['y'])], [w('s', 2, 1, 1)])
    save(out, 'softmax9', [N('Softmax', ['x'], ['y'], axis=1)], opset=9)
    save(out, 'logsoftmax', [N('LogSoftmax', ['x'], ['y'], axis=-1)])
    save(out, 'conv', [N('Conv', ['x', 'cw', 'cb'], ['y'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1])],
         [w('cw', 3, 2, 3, 3), w('cb', 3)])
    save(out, 'conv_same', [N('Conv', ['x', 'cw'], ['y'], auto_pad='SAME_UPPER', strides=[2, 2], group=2)], [w('cw', 4, 1, 2, 2)])
    save(out, 'convt', [N('ConvTranspose', ['x', 'cw', 'cb'], ['y'], kernel_shape=[4, 4], pads=[1, 1, 1, 1], strides=[2, 2],
                          output_padding=[0, 0])], [w('cw', 2, 3, 4, 4), w('cb', 3)])
    save(out, 'maxpool', [N('MaxPool', ['x'], ['y'], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1)])
    save(out, 'avgpool', [N('AveragePool', ['x'], ['y'], kernel_shape=[3, 3], pads=[1, 1, 1, 1], count_include_pad=0)])
    save(out, 'gap', [N('GlobalAveragePool', ['x'], ['y'])])
    save(out, 'gmp', [N('GlobalMaxPool', ['x'], ['y'])])
    save(out, 'bn', [N('BatchNormalization', ['x', 'g', 'b', 'm', 'v'], ['y'], epsilon=1e-5)],
         [w('g', 2), w('b', 2), w('m', 2), nh.from_array(np.ones(2, np.float32), 'v')])
    save(out, 'flatten', [N('Flatten', ['x'], ['y'], axis=2)])
    save(out, 'gemm', [N('Flatten', ['x'], ['f']), N('Gemm', ['f', 'gw', 'gb'], ['y'], transB=1, alpha=0.5)],
         [w('gw', 5, 32), w('gb', 5)])
    save(out, 'matmul', [N('MatMul', ['x', 'mw'], ['y'])], [w('mw', 4, 3)])
    save(out, 'arith', [N('Add', ['x', 'c1'], ['a']), N('Mul', ['a', 'c2'], ['b']), N('Sub', ['c1', 'b'], ['d']),
                        N('Div', ['d', 'c3'], ['y'])], [w('c1', 4), w('c2', 1), w('c3', 2, 1, 1)])
    save(out, 'reshape', [N('Shape', ['x'], ['s']), N('Gather', ['s', 'i0'], ['n'], axis=0),
                          N('Unsqueeze', ['n', 'ax0'], ['nu']), N('Concat', ['nu', 'rest'], ['t'], axis=0),
                          N('Reshape', ['x', 't'], ['y'])], [ints('i0', 0), ints('ax0', [0]), ints('rest', [-1])])
    save(out, 'expand', [N('ReduceMean', ['x'], ['m'], axes=[2, 3], keepdims=1), N('Shape', ['x'], ['s']),
                         N('Expand', ['m', 's'], ['y'])])
    save(out, 'transpose', [N('Transpose', ['x'], ['y'], perm=[0, 2, 3, 1])])
    save(out, 'split', [N('Split', ['x', 'sp'], ['a', 'b'], axis=1), N('Concat', ['b', 'a'], ['y'], axis=1)],
         [ints('sp', [1, 1])])
    save(out, 'squeeze', [N('GlobalMaxPool', ['x'], ['p']), N('Squeeze', ['p', 'ax'], ['q']),
                          N('Unsqueeze', ['q', 'ax1'], ['y'])], [ints('ax', [2, 3]), ints('ax1', [1])])
    save(out, 'clip', [N('Clip', ['x', 'lo', 'hi'], ['y'])], [nh.from_array(np.float32(0), 'lo'),
                                                               nh.from_array(np.float32(6), 'hi')])
    save(out, 'pad', [N('Pad', ['x', 'pads', 'cv'], ['y'], mode='constant')],
         [ints('pads', [0, 0, 1, 2, 0, 0, 2, 1]), nh.from_array(np.float32(0.5), 'cv')])
    save(out, 'resize', [N('Resize', ['x', '', 'sc'], ['y'], mode='nearest', nearest_mode='floor',
                           coordinate_transformation_mode='asymmetric')],
         [nh.from_array(np.array([1, 1, 2, 2], np.float32), 'sc')])
    save(out, 'upsample9', [N('Upsample', ['x', 'sc'], ['y'], mode='nearest')],
         [nh.from_array(np.array([1, 1, 2, 2], np.float32), 'sc')], opset=9)
    save(out, 'embed', [N('Cast', ['x'], ['i'], to=T.INT64), N('Gather', ['emb', 'i'], ['y'])], [w('emb', 10, 3)],
         shape=(2, 5), dtype=T.INT32)
    save(out, 'slice', [N('Shape', ['x'], ['s']), N('Slice', ['s', 'st', 'en'], ['hw']), N('Cast', ['hw'], ['f'], to=T.FLOAT),
                        N('ConstantOfShape', ['hw'], ['z'], value=nh.from_array(np.array([1], np.float32))),
                        N('Range', ['r0', 'r1', 'r2'], ['r']), N('Where', ['c', 'z', 'z'], ['zz']),
                        N('ReduceSum', ['x', 'ax'], ['y'], keepdims=0)],
         [ints('st', [2]), ints('en', [4]), ints('r0', 0), ints('r1', 4), ints('r2', 1),
          nh.from_array(np.array([True]), 'c'), ints('ax', [1])])
    save(out, 'sum', [N('Sum', ['x', 'x', 'x'], ['y']), N('ReduceMax', ['y'], ['z'], axes=[1])], outputs=('y', 'z'))
    save(out, 'lstm', [N('LSTM', ['x', 'lw', 'lr', 'lb'], ['y', 'yh', 'yc'], hidden_size=2)],
         [w('lw', 1, 8, 3), w('lr', 1, 8, 2), w('lb', 1, 16)], shape=(2, 1, 3), outputs=('y', 'yh', 'yc'))
    save(out, 'gru_bi', [N('GRU', ['x', 'gw', 'gr', 'gb', '', 'h0'], ['y'], hidden_size=2, direction='bidirectional',
                           linear_before_reset=1)],
         [w('gw', 2, 6, 3), w('gr', 2, 6, 2), w('gb', 2, 12), w('h0', 2, 1, 2)], shape=(2, 1, 3))
    save(out, 'rnn_relu', [N('RNN', ['x', 'rw', 'rr', 'rb'], ['y', 'yh'], hidden_size=2, activations=['Relu'])],
         [w('rw', 1, 2, 3), w('rr', 1, 2, 2), w('rb', 1, 4)], shape=(2, 1, 3), outputs=('y', 'yh'))
    # findings, kept as seeds: a node with no outputs (set_base read output[0])
    save(out, 'regress-1-node-without-outputs', [N('Relu', ['x'], [], name='r0'), N('Relu', ['x'], ['y'])])
    # an empty string attribute (protobuf-c gives it no data pointer)
    save(out, 'regress-2-empty-string-attribute', [N('Pad', ['x', 'pads'], ['y'], mode='')],
         [ints('pads', [0, 0, 1, 1, 0, 0, 1, 1])])
    save(out, 'constant', [N('Constant', [], ['k'], value=nh.from_array(np.ones((1, 2, 1, 1), np.float32))),
                           N('Add', ['x', 'k'], ['y'])])


if __name__ == '__main__':
    main()
