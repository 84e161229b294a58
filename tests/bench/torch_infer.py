"""torch_infer.py — PyTorch 1.13's side of the ONNX inference benchmark
(tests/bench/run_onnx_bench.sh): one torchvision model in eval mode under
torch.no_grad(), the same warm-up and timed runs as bench_infer, one
key=value line in bench_infer's format (peak RSS of this process).

  /usr/bin/python3 tests/bench/torch_infer.py MODEL BATCH THREADS RUNS WARMUP"""
import resource
import sys
import time

import torch
import torchvision


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    name, batch, threads, runs, warmup = sys.argv[1], *map(int, sys.argv[2:])
    torch.set_num_threads(threads)
    torch.manual_seed(1234)
    model = getattr(torchvision.models, name)().eval()
    x = torch.rand(batch, 3, 224, 224)
    times = []
    with torch.no_grad():
        for r in range(warmup + runs):
            t0 = time.perf_counter()
            model(x)
            if r >= warmup:
                times.append(time.perf_counter() - t0)
    times.sort()
    med = times[runs // 2] if runs % 2 else 0.5 * (times[runs // 2 - 1] + times[runs // 2])
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print('label=pytorch-%s batch=%d threads=%d median_ms=%.2f best_ms=%.2f images_per_s=%.1f planned_mb=- peak_rss_mb=%.1f'
          % (name, batch, threads, 1e3 * med, 1e3 * times[0], batch / med, rss))


if __name__ == '__main__':
    main()
