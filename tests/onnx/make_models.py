"""make_models.py — PyTorch 1.13 models exported to ONNX, with inputs and
PyTorch's outputs, as the reference for mxrt's ONNX import (issue #17).

  /usr/bin/python3 tests/onnx/make_models.py [--mnist DIR] OUTDIR [NAME[@OPSET] ...]

For each model: OUTDIR/NAME-opN.onnx, NAME-opN.input.f32 (raw little-endian
float32, the shape in NAME-opN.shape as "data=D1,D2,..."), NAME-opN.output.f32
(PyTorch's output on that input, eval mode). With --mnist DIR, the MNIST
models also get NAME-opN.mnist.f32: PyTorch's outputs for the 10,000 test
images of DIR (pixels / 255), for the fixed-buffer path's predictions. Random weights from a fixed
seed; BatchNorm statistics randomised too, so that folding or mis-reading
them shows. Run only by the tests; mxrt never needs Python."""
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torchvision

torch.set_num_threads(1)


class MLP(nn.Module):
    """The MNIST MLP of the tutorials: 784-128-64-10, ReLU."""
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 128), nn.Linear(128, 64), nn.Linear(64, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = torch.relu(self.fc1(x))
        x = torch.relu(self.fc2(x))
        return torch.softmax(self.fc3(x), dim=1)


class LeNet(nn.Module):
    """The tutorials' LeNet: conv5x5x20 tanh maxpool, conv5x5x50 tanh maxpool, fc500 tanh, fc10."""
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 20, 5), nn.Conv2d(20, 50, 5)
        self.fc1, self.fc2 = nn.Linear(800, 500), nn.Linear(500, 10)

    def forward(self, x):
        x = torch.max_pool2d(torch.tanh(self.conv1(x)), 2, 2)
        x = torch.max_pool2d(torch.tanh(self.conv2(x)), 2, 2)
        x = x.reshape(x.shape[0], -1)          # a Shape -> Gather -> Concat -> Reshape sub-graph
        x = torch.tanh(self.fc1(x))
        return torch.log_softmax(self.fc2(x), dim=1)


class OpZoo(nn.Module):
    """Every other op the importer takes, in one small CNN: BatchNormalization
    (not after a Conv, so PyTorch keeps it), LeakyRelu, PRelu, Elu, Sigmoid,
    arithmetic with constants, Pad, AveragePool (count_include_pad=0),
    ConvTranspose, nearest Upsample/Resize, MaxPool with ceil_mode, Split,
    Concat, ReduceMean, Expand of a Shape, GlobalMax/AveragePool, Squeeze,
    Unsqueeze, Transpose, a Shape-built Reshape, MatMul, Clip, Dropout."""
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.prelu = nn.PReLU(8)
        self.pool = nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.deconv = nn.ConvTranspose2d(8, 6, 4, stride=2, padding=1)
        self.w = nn.Parameter(torch.randn(12, 10))
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = self.bn(torch.relu(self.conv(x)))
        x = nn.functional.leaky_relu(x, 0.1)
        x = self.prelu(x) + nn.functional.elu(x, 0.7) * 0.5 - torch.sigmoid(x) / 2
        x = nn.functional.pad(x, (1, 1, 1, 1))
        x = self.deconv(self.pool(x))
        x = nn.functional.interpolate(x, scale_factor=2, mode='nearest')
        x = nn.functional.max_pool2d(x, 3, stride=2, ceil_mode=True)
        y1, y2 = torch.split(x, [2, 4], dim=1)
        y = torch.cat([y2, y1 * 2], 1)
        m = y.mean(dim=(2, 3), keepdim=True)
        y = y - m.expand_as(y)
        g = nn.functional.adaptive_max_pool2d(y, 1)
        h = nn.functional.adaptive_avg_pool2d(y, 1)
        z = torch.cat([g, h], 1).squeeze(3).squeeze(2)
        z = z.unsqueeze(1).transpose(1, 2)
        z = z.reshape(z.shape[0], -1)
        return torch.clamp(self.drop(z @ self.w) * 4, -1.0, 1.5)


class CharRNN(nn.Module):
    """The char-LSTM of the tutorials, PyTorch's way: Embedding(65, 32), a
    2-layer nn.LSTM (or nn.GRU, nn.RNN) of 64, one or two directions, Linear to 65;
    input (seq, batch) of character ids, output (seq, batch, 65) logits."""
    def __init__(self, cell, bidirectional=False):
        super().__init__()
        self.emb = nn.Embedding(65, 32)
        self.rnn = cell(32, 64, num_layers=2, bidirectional=bidirectional)
        self.fc = nn.Linear(128 if bidirectional else 64, 65)

    def forward(self, x):
        y, _ = self.rnn(self.emb(x))
        return self.fc(y)


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            n = m.num_features
            m.running_mean.copy_(torch.randn(n, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.weight.data.copy_(torch.rand(n, generator=gen) * 0.5 + 0.75)
            m.bias.data.copy_(torch.randn(n, generator=gen) * 0.1)


MODELS = {
    # name: (constructor, input shape)
    'mlp': (MLP, (4, 1, 28, 28)),
    'lenet': (LeNet, (4, 1, 28, 28)),
    'resnet18': (lambda: torchvision.models.resnet18(), (2, 3, 224, 224)),
    'mobilenet_v2': (lambda: torchvision.models.mobilenet_v2(), (2, 3, 224, 224)),
    'squeezenet1_1': (lambda: torchvision.models.squeezenet1_1(), (2, 3, 224, 224)),
    'opzoo': (OpZoo, (2, 3, 16, 16)),
    'char_lstm': (lambda: CharRNN(nn.LSTM), (8, 2)),
    'char_gru': (lambda: CharRNN(nn.GRU), (8, 2)),
    'char_bilstm': (lambda: CharRNN(nn.LSTM, True), (8, 2)),
    'char_bigru': (lambda: CharRNN(nn.GRU, True), (8, 2)),
    'char_rnn_relu': (lambda: CharRNN(lambda *a, **k: nn.RNN(*a, nonlinearity='relu', **k), True), (8, 2)),
    'char_rnn_tanh': (lambda: CharRNN(nn.RNN), (8, 2)),
}
# NAME@OPSET; "+raw" exports without PyTorch's constant folding. LeNet's batch axis is dynamic: its Reshape takes a Shape -> Gather ->
# Unsqueeze -> Concat sub-graph that the importer folds for --shape.
DEFAULT = ['mlp@9', 'mlp@13', 'mlp@17', 'lenet@9', 'lenet@13', 'lenet@17',
           'resnet18@13', 'resnet18@9+raw', 'mobilenet_v2@9', 'mobilenet_v2@13',
           'squeezenet1_1@13', 'squeezenet1_1@17', 'opzoo@9', 'opzoo@11', 'opzoo@13', 'opzoo@17',
           'char_lstm@9', 'char_lstm@13', 'char_lstm@17', 'char_gru@13', 'char_bilstm@13', 'char_bigru@11',
           'char_rnn_tanh@13', 'char_rnn_relu@17']


def read_idx_images(path):
    with open(path, 'rb') as f:
        data = f.read()
    n, rows, cols = (int.from_bytes(data[4 + 4 * k:8 + 4 * k], 'big') for k in range(3))
    return np.frombuffer(data, np.uint8, n * rows * cols, 16).reshape(n, 1, rows, cols)


def export(outdir, name, opset, raw, mnist=None):
    ctor, shape = MODELS[name]
    torch.manual_seed(1234)
    model = ctor()
    gen = torch.Generator().manual_seed(99)
    with torch.no_grad():
        randomise_bn(model, gen)
    model.eval()
    x = torch.randint(0, 65, shape, generator=gen) if name.startswith('char_') else torch.rand(shape, generator=gen)
    with torch.no_grad():
        y = model(x)
    base = os.path.join(outdir, '%s-op%d%s' % (name, opset, '-raw' if raw else ''))
    torch.onnx.export(model, x, base + '.onnx', opset_version=opset,
                      input_names=['data'], output_names=['output'], do_constant_folding=not raw,
                      dynamic_axes={'data': {0: 'batch'}} if name in ('lenet', 'opzoo') else None)
    x.numpy().astype('<f4').tofile(base + '.input.f32')
    y.numpy().astype('<f4').tofile(base + '.output.f32')
    if mnist and name in ('mlp', 'lenet'):
        images = torch.from_numpy(read_idx_images(os.path.join(mnist, 't10k-images-idx3-ubyte')).astype(np.float32) / 255)
        with torch.no_grad():
            model(images).numpy().astype('<f4').tofile(base + '.mnist.f32')
    with open(base + '.shape', 'w') as f:
        f.write('data=%s\n' % ','.join(str(d) for d in shape))
    print('%s: opset %d, input %s, output %s' % (base, opset, tuple(shape), tuple(y.shape)))


def main():
    args = sys.argv[1:]
    mnist = None
    if args[:1] == ['--mnist'] and len(args) > 1:
        mnist, args = args[1], args[2:]
    if not args:
        sys.exit(__doc__)
    outdir = args[0]
    os.makedirs(outdir, exist_ok=True)
    for spec in args[1:] or DEFAULT:
        name, _, op = spec.partition('@')
        op, raw = (op[:-4], True) if op.endswith('+raw') else (op, False)
        if name not in MODELS:
            sys.exit('make_models.py: unknown model %s (%s)' % (name, ', '.join(MODELS)))
        export(outdir, name, int(op or 13), raw, mnist)


if __name__ == '__main__':
    main()
