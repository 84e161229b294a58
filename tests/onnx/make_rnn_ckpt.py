"""make_rnn_ckpt.py — an MXNet-format checkpoint holding one fused RNN op
of several layers (as Gluon's rnn.LSTM/GRU export it), for the export
test: mxrt's ONNX import writes one layer per RNN node, so only a graph
made here exercises export's cutting of a multi-layer packed parameter
vector (tests/test_onnx.sh compares it with its export imported back).

  /usr/bin/python3 tests/onnx/make_rnn_ckpt.py PREFIX MODE LAYERS BIDIRECTIONAL

Writes PREFIX-symbol.json and PREFIX-0000.params (V2 NDArray list):
data (T=5, N=3, I=4) -> RNN(state_size 6) -> output, random parameters
and initial states from a fixed seed."""
import json
import struct
import sys

import numpy as np


def write_params(path, named):
    out = [struct.pack('<QQQ', 0x112, 0, len(named))]
    for _, a in named:
        a = np.ascontiguousarray(a, '<f4')
        out.append(struct.pack('<Iii', 0xF993FAC9, 0, a.ndim))
        out.append(struct.pack('<%dq' % a.ndim, *a.shape))
        out.append(struct.pack('<iii', 1, 0, 0))  # cpu(0), float32
        out.append(a.tobytes())
    out.append(struct.pack('<Q', len(named)))
    for name, _ in named:
        out.append(struct.pack('<Q', len(name)) + name.encode())
    open(path, 'wb').write(b''.join(out))


def main():
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    prefix, mode, layers, bi = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    T, N, I, H = 5, 3, 4, 6
    D = 2 if bi else 1
    G = {'lstm': 4, 'gru': 3, 'rnn_tanh': 1, 'rnn_relu': 1}[mode]
    size = 0
    for layer in range(layers):
        size += D * G * H * ((D * H if layer else I) + H + 2)
    rng = np.random.RandomState(5)
    nodes = [{'op': 'null', 'name': 'data', 'inputs': []},
             {'op': 'null', 'name': 'rnn_parameters', 'inputs': []},
             {'op': 'null', 'name': 'rnn_state', 'inputs': []}]
    inputs = [[0, 0, 0], [1, 0, 0], [2, 0, 0]]
    params = [('arg:rnn_parameters', rng.uniform(-0.5, 0.5, size)),
              ('arg:rnn_state', rng.uniform(-1, 1, (layers * D, N, H)))]
    if mode == 'lstm':
        nodes.append({'op': 'null', 'name': 'rnn_state_cell', 'inputs': []})
        inputs.append([3, 0, 0])
        params.append(('arg:rnn_state_cell', rng.uniform(-1, 1, (layers * D, N, H))))
    nodes.append({'op': 'RNN', 'name': 'rnn', 'inputs': inputs,
                  'attrs': {'mode': mode, 'state_size': str(H), 'num_layers': str(layers),
                            'bidirectional': str(bool(bi)), 'state_outputs': 'True'}})
    graph = {'nodes': nodes, 'arg_nodes': list(range(len(nodes) - 1)),
             'heads': [[len(nodes) - 1, k, 0] for k in range(3 if mode == 'lstm' else 2)],
             'attrs': {'mxnet_version': ['int', 10900]}}
    json.dump(graph, open(prefix + '-symbol.json', 'w'), indent=2)
    write_params(prefix + '-0000.params', params)
    print('%s: RNN %s, %d layer(s), %d direction(s), data (%d,%d,%d), %d parameters' % (prefix, mode, layers, D, T, N, I, size))


if __name__ == '__main__':
    main()
