#!/usr/bin/env python3
"""mxnet_ref.py — an independent forward pass of MXNet checkpoints, in numpy,
for tests: it shares no code with mxrt (its own .params, JSON and IDX
readers, its own ops), so mxrt's predictions can be checked against it.

    python3 tests/mxnet_ref.py PREFIX EPOCH INPUT --shape N,C,H,W
            [--scale S] [--mean M] [--std D] [--batch N]

INPUT is a uint8 IDX file (raw or .gz) or raw little-endian float32
(.raw); every value x becomes (x*scale - mean) / std. Prints one line per
sample of output 0: the index of its largest value, then the values
(%.9g). Only the ops of the real checkpoints the tests run are written:
Convolution, Pooling (max/avg/sum, valid/full), Activation, LeakyReLU
(leaky, prelu, elu), Flatten, FullyConnected, SoftmaxOutput and
SoftmaxActivation (instance, channel). Float64 inside, so its rounding
differs from mxrt's float32.
"""
import gzip
import json
import struct
import sys

import numpy as np

DTYPES = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8, 6: np.int64}


def read_params(path):
    """MXNet's NDArray list: {name without arg:/aux:: array}."""
    buf = open(path, 'rb').read()
    pos = 0

    def take(fmt):
        nonlocal pos
        vals = struct.unpack_from('<' + fmt, buf, pos)
        pos += struct.calcsize('<' + fmt)
        return vals

    magic, _ = take('QQ')
    if magic != 0x112:
        raise ValueError('%s: not an NDArray list (magic %#x)' % (path, magic))
    (count,) = take('Q')
    arrays = []
    for _ in range(count):
        (m,) = take('I')
        if m in (0xF993FAC9, 0xF993FAC8):
            if m == 0xF993FAC9:
                (stype,) = take('i')
                if stype != 0:
                    raise ValueError('sparse array')
            (ndim,) = take('I')
            dims = take('%dq' % ndim) if ndim else ()
        else:  # legacy: m is ndim, dims are uint32
            ndim = m
            dims = take('%dI' % ndim) if ndim else ()
        if ndim == 0:
            arrays.append(np.zeros((0,), np.float32))
            continue
        take('ii')  # context
        (flag,) = take('i')
        dt = np.dtype(DTYPES[flag]).newbyteorder('<')
        n = int(np.prod(dims))
        a = np.frombuffer(buf, dt, n, pos).reshape(dims)
        pos += n * dt.itemsize
        arrays.append(a.astype(np.float64))
    (nnames,) = take('Q')
    names = []
    for _ in range(nnames):
        (ln,) = take('Q')
        names.append(buf[pos:pos + ln].decode())
        pos += ln
    out = {}
    for name, a in zip(names, arrays):
        out[name.split(':', 1)[1] if ':' in name else name] = a
    return out


def read_idx(path):
    raw = gzip.open(path, 'rb').read() if path.endswith('.gz') else open(path, 'rb').read()
    zero, dtype, ndim = struct.unpack_from('>HBB', raw, 0)
    if zero != 0 or dtype != 0x08:
        raise ValueError('%s: not a uint8 IDX file' % path)
    dims = struct.unpack_from('>%dI' % ndim, raw, 4)
    return np.frombuffer(raw, np.uint8, int(np.prod(dims)), 4 + 4 * ndim).reshape(dims)


def tup(text, default):
    if text is None:
        return default
    vals = [int(v.rstrip('L')) for v in text.strip('()[] ').split(',') if v.strip()]
    return tuple(vals) if vals else default


def conv2d(x, w, b, stride, pad, dilate, groups):
    n, c, h, wd = x.shape
    f, cg, kh, kw = w.shape
    x = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    oh = (x.shape[2] - dilate[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (x.shape[3] - dilate[1] * (kw - 1) - 1) // stride[1] + 1
    out = np.zeros((n, f, oh, ow))
    fg = f // groups
    for g in range(groups):
        xs = x[:, g * cg:(g + 1) * cg]
        for i in range(kh):
            for j in range(kw):
                patch = xs[:, :, i * dilate[0]: i * dilate[0] + stride[0] * oh: stride[0],
                           j * dilate[1]: j * dilate[1] + stride[1] * ow: stride[1]]
                out[:, g * fg:(g + 1) * fg] += np.einsum('nchw,fc->nfhw', patch, w[g * fg:(g + 1) * fg, :, i, j])
    if b is not None:
        out += b.reshape(1, -1, 1, 1)
    return out


def pool2d(x, kind, k, s, p, full, global_pool):
    n, c, h, w = x.shape
    if global_pool:
        k, s, p = (h, w), (1, 1), (0, 0)
    oh = [(h + 2 * p[0] - k[0] + (s[0] - 1 if full else 0)) // s[0] + 1,
          (w + 2 * p[1] - k[1] + (s[1] - 1 if full else 0)) // s[1] + 1]
    fill = -np.inf if kind == 'max' else 0.0
    need_h = (oh[0] - 1) * s[0] + k[0]
    need_w = (oh[1] - 1) * s[1] + k[1]
    xp = np.full((n, c, max(need_h, h + 2 * p[0]), max(need_w, w + 2 * p[1])), fill)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x
    out = np.full((n, c, oh[0], oh[1]), fill)
    for i in range(k[0]):
        for j in range(k[1]):
            win = xp[:, :, i: i + s[0] * oh[0]: s[0], j: j + s[1] * oh[1]: s[1]]
            out = np.maximum(out, win) if kind == 'max' else out + win
    if kind == 'avg':
        out /= k[0] * k[1]
    return out


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def forward(graph, params, data):
    nodes = graph['nodes']
    vals = {}
    for i, nd in enumerate(nodes):
        op = nd['op']
        a = dict(nd.get('param', {}))
        a.update(nd.get('attr', {}))
        a.update(nd.get('attrs', {}))
        ins = [vals[(e[0], e[1])] for e in nd['inputs']]
        if op == 'null':
            vals[(i, 0)] = data if nd['name'] == 'data' else params.get(nd['name'])
            continue
        x = ins[0]
        if op == 'Convolution':
            no_bias = a.get('no_bias', 'False').lower() in ('true', '1')
            k = tup(a['kernel'], None)
            y = conv2d(x, ins[1], None if no_bias else ins[2], tup(a.get('stride'), (1,) * len(k)),
                       tup(a.get('pad'), (0,) * len(k)), tup(a.get('dilate'), (1,) * len(k)),
                       int(a.get('num_group', 1)))
        elif op == 'Pooling':
            k = tup(a.get('kernel'), (1, 1))
            y = pool2d(x, a.get('pool_type', 'max'), k, tup(a.get('stride'), (1,) * len(k)),
                       tup(a.get('pad'), (0,) * len(k)), a.get('pooling_convention', 'valid') == 'full',
                       a.get('global_pool', 'False').lower() in ('true', '1'))
        elif op == 'Activation':
            t = a['act_type']
            y = {'relu': lambda v: np.maximum(v, 0), 'tanh': np.tanh, 'sigmoid': lambda v: 1 / (1 + np.exp(-v)),
                 'softrelu': lambda v: np.log1p(np.exp(v)), 'softsign': lambda v: v / (1 + np.abs(v))}[t](x)
        elif op in ('Flatten', 'flatten'):
            y = x.reshape(x.shape[0], -1)
        elif op == 'FullyConnected':
            no_bias = a.get('no_bias', 'False').lower() in ('true', '1')
            flat = a.get('flatten', 'True').lower() in ('true', '1')
            xf = x.reshape(x.shape[0], -1) if flat else x
            y = xf @ ins[1].T + (0 if no_bias else ins[2])
        elif op == 'LeakyReLU':
            t = a.get('act_type', 'leaky')
            slope = float(a.get('slope', 0.25))
            if t == 'prelu':
                g = ins[1].reshape((1, -1) + (1,) * (x.ndim - 2))
                y = np.where(x > 0, x, g * x)
            elif t == 'elu':
                y = np.where(x > 0, x, slope * (np.exp(np.minimum(x, 0)) - 1))
            elif t == 'leaky':
                y = np.where(x > 0, x, slope * x)
            else:
                raise ValueError('mxnet_ref: LeakyReLU %s is not in this reference' % t)
        elif op == 'SoftmaxActivation' and a.get('mode', 'instance') == 'channel':
            y = softmax(x, axis=1)
        elif op in ('SoftmaxOutput', 'Softmax', 'SoftmaxActivation'):
            y = softmax(x.reshape(x.shape[0], -1)).reshape(x.shape)
        else:
            raise ValueError('mxnet_ref: op %s is not in this reference' % op)
        vals[(i, 0)] = y
    h = graph['heads'][0]
    return vals[(h[0], h[1])]


def main(argv):
    args = list(argv)
    opt = {'--scale': 1.0, '--mean': 0.0, '--std': 1.0, '--batch': 500, '--shape': None}
    for key in list(opt):
        if key in args:
            i = args.index(key)
            opt[key] = args[i + 1]
            del args[i:i + 2]
    prefix, epoch, path = args
    shape = tuple(int(v) for v in opt['--shape'].split(','))
    graph = json.load(open('%s-symbol.json' % prefix))
    params = read_params('%s-%04d.params' % (prefix, int(epoch)))
    if path.endswith('.raw'):
        x = np.fromfile(path, '<f4').astype(np.float64)
    else:
        x = read_idx(path).astype(np.float64)
    x = ((x * float(opt['--scale']) - float(opt['--mean'])) / float(opt['--std'])).reshape((-1,) + shape[1:])
    batch = int(opt['--batch'])
    out = sys.stdout
    for b in range(0, x.shape[0], batch):
        y = forward(graph, params, x[b:b + batch])
        y = y.reshape(y.shape[0], -1)
        for row in y:
            out.write('%d %s\n' % (int(np.argmax(row)), ' '.join('%.9g' % v for v in row)))


if __name__ == '__main__':
    main(sys.argv[1:])
