"""PyTorch CPU reference for bench/train: BenchCNN and BenchSeq of docs/bench-models.md.

Same architectures, Adam (lr 1e-3), BCE, random inputs. A train step = zero_grad + forward + loss +
backward + optimizer.step. Median over the timed steps after the warm-up steps. Inference in eval mode
under torch.no_grad() at batch 32. torch.set_num_threads(2).
Usage: /usr/bin/python3 reference_torch.py CNN_STEPS SEQ_STEPS INFER_ITERS WARMUP
Prints one JSON line: {"torch", "threads", "BenchCNN": {...}, "BenchSeq": {...}}.
Run with Debian's python3 (python3-torch).
"""
import json
import statistics
import sys
import time

import torch
from torch import nn


class ConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, stride: int = 1) -> None:
        # Keras momentum 0.99 == PyTorch momentum 0.01.
        super().__init__(nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False), nn.BatchNorm2d(c_out, eps=1e-3, momentum=0.01))


class Res(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(ConvBN(c, c), nn.ReLU(), ConvBN(c, c))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


def bench_cnn() -> nn.Module:
    return nn.Sequential(
        ConvBN(3, 32, 2), nn.ReLU(), Res(32), nn.MaxPool2d(2),
        ConvBN(32, 64), nn.ReLU(), Res(64), nn.MaxPool2d(2),
        ConvBN(64, 128), nn.ReLU(), Res(128), nn.MaxPool2d(2),
        ConvBN(128, 256), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(256, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 1), nn.Sigmoid(),
    )


class SeqRes(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv1d(c, c, 3, padding=1), nn.ReLU(), nn.Conv1d(c, c, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.body(x))


class BenchSeq(nn.Module):
    """Input [batch, 60, 256] (slices x features), output [batch, 60, 6]."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv1d(256, 128, 3, padding=1), nn.ReLU())
        self.blocks = nn.Sequential(SeqRes(128), SeqRes(128), SeqRes(128))
        self.drop = nn.Dropout(0.2)
        self.head = nn.Linear(128, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.blocks(self.stem(x.transpose(1, 2))).transpose(1, 2)
        return torch.sigmoid(self.head(self.drop(y)))


def params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def run(model: nn.Module, x: torch.Tensor, y: torch.Tensor, x_infer: torch.Tensor, steps: int, infer_iters: int, warmup: int) -> dict:
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    model.train()
    times = []
    for i in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(ms)
    model.eval()
    rates = []
    with torch.no_grad():
        for i in range(warmup + infer_iters):
            t0 = time.perf_counter()
            model(x_infer)
            s = time.perf_counter() - t0
            if i >= warmup:
                rates.append(x_infer.shape[0] / s)
    return {"params": params(model), "trainStepMedianMs": statistics.median(times), "inferPerSec": statistics.median(rates),
            "trainSteps": steps, "inferIters": infer_iters, "lastLoss": float(loss.item())}


def main() -> None:
    cnn_steps, seq_steps, infer_iters, warmup = (int(a) for a in sys.argv[1:5])
    torch.set_num_threads(2)
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    x = torch.rand(16, 3, 128, 128)
    y = (torch.rand(16, 1) > 0.5).float()
    out["BenchCNN"] = run(bench_cnn(), x, y, torch.rand(32, 3, 128, 128), cnn_steps, infer_iters, warmup)
    x = torch.rand(32, 60, 256)
    y = (torch.rand(32, 60, 6) > 0.5).float()
    out["BenchSeq"] = run(BenchSeq(), x, y, torch.rand(32, 60, 256), seq_steps, infer_iters, warmup)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
