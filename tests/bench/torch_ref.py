#!/usr/bin/env python3
"""torch_ref.py — the reference side of the GPU benchmark (issue #7): the
tutorials' three models in plain eager PyTorch on the same GPU, at the
same batch sizes, with the same optimizers, timed the way mxrt's apps time
an epoch. Data is random and already on the GPU (PyTorch's best case: no
host-to-device copies, which mxrt's figures include). Prints one line per
model; run by scripts/gpu_check.sh on a GPU machine (never in CI)."""
import sys
import time

import torch
import torch.nn as nn


def timed(step, n, warm=20):
    for _ in range(warm):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    torch.cuda.synchronize()
    return time.perf_counter() - t0


def classifier(name, net, shape, batches, dev):
    net = net.to(dev)
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randn((batches, 100) + shape, device=dev)
    y = torch.randint(0, 10, (batches, 100), device=dev)
    i = [0]

    def step():
        k = i[0] % batches
        i[0] += 1
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x[k]), y[k]).backward()
        opt.step()

    t = timed(step, batches)
    print(f"torch {name}: epoch {t:.3f} s (600 batches of 100, {60000 / t:.0f} samples/s)")


def char_lstm(dev, steps=200):
    vocab, embed, hidden, layers, seq, batch = 65, 256, 256, 2, 32, 32

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(vocab, embed)
            self.lstm = nn.LSTM(embed, hidden, layers, batch_first=True)
            self.out = nn.Linear(hidden, vocab)

        def forward(self, x):
            h, _ = self.lstm(self.embed(x))
            return self.out(h)

    net = Net().to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=0.01, weight_decay=1e-5)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.randint(0, vocab, (batch, seq), device=dev)
    y = torch.randint(0, vocab, (batch, seq), device=dev)

    def step():
        opt.zero_grad(set_to_none=True)
        loss_fn(net(x).reshape(-1, vocab), y.reshape(-1)).backward()
        nn.utils.clip_grad_value_(net.parameters(), 1.0)  # MXNet's clip_gradient is elementwise
        opt.step()

    t = timed(step, steps)
    print(f"torch char-LSTM (cuDNN LSTM): {steps * batch / t:.0f} samples/s (batch {batch}, {seq} steps, "
          f"{layers}x{hidden})")


def main():
    if not torch.cuda.is_available():
        print("torch: no GPU")
        return 1
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False  # mxrt computes in full FP32
    torch.backends.cudnn.allow_tf32 = False
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(0))
    mlp = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(),
                        nn.Linear(64, 10))
    classifier("MLP", mlp, (784,), 600, dev)
    lenet = nn.Sequential(nn.Conv2d(1, 20, 5), nn.Tanh(), nn.MaxPool2d(2, 2), nn.Conv2d(20, 50, 5), nn.Tanh(),
                          nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(800, 500), nn.Tanh(), nn.Linear(500, 10))
    classifier("LeNet", lenet, (1, 28, 28), 600, dev)
    char_lstm(dev)
    return 0


if __name__ == "__main__":
    sys.exit(main())
