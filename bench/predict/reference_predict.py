"""PyTorch CPU reference for bench/predict: the work of `ich predict` on the same DICOM files, with random weights.

Per run: read the files (pydicom), HU = raw * slope + intercept, pad to square, resize to the base models' size
the seed's way (skimage resize, order 1, mode reflect, anti-aliasing), once. Then per fold:
K TTA copies of every slice (random flip / rotation / shift / zoom as one affine grid_sample) through the
base CNN built from the demo model's archConfig (learned windowing + instance norm, SE-ResNeXt body,
channel-group max pool, linear head) in batches, giving features and logits; Pooled-Res over each series
(`passes` random passes of `test_copies` copies, one batch); the shallow NN and its weighted twin over each series
(`passes` passes, one batch each). Weights are random (eval mode, torch.no_grad): the arithmetic is what counts.

Usage: python3 reference_predict.py ARCH_META_JSON FILE_LIST SERIES_SIZES [--folds 3] [--copies 8] [--passes 8]
       [--test-copies 4] [--batch 64] [--threads 2]
SERIES_SIZES: comma-separated slice counts of the series, in FILE_LIST order (e.g. 30,10).
Prints one JSON line: {"slices", "seconds" (after imports), "importSeconds", "torch", "threads", "images"}.
Run with Debian's python3 (python3-torch, python3-pydicom, python3-skimage).
"""
import time

T_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402

import numpy as np  # noqa: E402
import pydicom  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from skimage.transform import resize  # noqa: E402

T_IMPORTED = time.perf_counter()

FULLHEAD_SLICES = 60
SHALLOW_PAD = 12


class Windowing(nn.Module):
    """1x1 conv 1 -> C, sigmoid, instance norm (affine off): the engine's WSO layer."""

    def __init__(self, windows):
        super().__init__()
        self.conv = nn.Conv2d(1, len(windows), 1)

    def forward(self, x):
        return F.instance_norm(torch.sigmoid(self.conv(x)), eps=1e-5)


class SE(nn.Module):
    def __init__(self, c, reduction):
        super().__init__()
        self.fc1 = nn.Conv2d(c, max(1, c // reduction), 1)
        self.fc2 = nn.Conv2d(max(1, c // reduction), c, 1)

    def forward(self, x):
        s = torch.sigmoid(self.fc2(F.relu(self.fc1(F.adaptive_avg_pool2d(x, 1)))))
        return x * s


class Bottleneck(nn.Module):
    """SE-ResNeXt bottleneck (se-net.ts): 1x1 -> grouped 3x3 with the stride -> 1x1, SE, shortcut."""

    def __init__(self, inplanes, planes, arch, stride):
        super().__init__()
        groups = arch.get("groups", 1)
        width = math.floor(planes * arch.get("baseWidth", 4) / 64) * groups
        out = planes * arch.get("expansion", 4)
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.se = SE(out, arch.get("seReduction", 16))
        self.down = None
        if stride != 1 or inplanes != out:
            self.down = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.se(self.bn3(self.conv3(y)))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class BaseCNN(nn.Module):
    def __init__(self, arch):
        super().__init__()
        if arch["family"] != "se-resnext":
            raise SystemExit(f"reference_predict.py: only the se-resnext family is built, not {arch['family']}")
        self.wso = Windowing(arch["windows"])
        self.stem = nn.Sequential(
            nn.Conv2d(len(arch["windows"]), arch["stemChannels"], 7, stride=arch.get("stemStride", 2), padding=3, bias=False),
            nn.BatchNorm2d(arch["stemChannels"]), nn.ReLU(), nn.MaxPool2d(3, 2, ceil_mode=True))
        blocks = []
        inplanes = arch["stemChannels"]
        for s, (n, planes) in enumerate(zip(arch["blocks"], arch["widths"])):
            for j in range(n):
                blocks.append(Bottleneck(inplanes, planes, arch, 2 if j == 0 and s > 0 else 1))
                inplanes = planes * arch.get("expansion", 4)
        self.body = nn.Sequential(*blocks)
        self.pool_group = arch["poolGroup"]
        self.feature_size = inplanes // self.pool_group
        self.classifier = nn.Linear(self.feature_size, 6)

    def forward(self, x):
        y = self.body(self.stem(self.wso(x)))
        y = torch.amax(y, dim=(2, 3))  # global max pool, then the max over each channel group
        f = y.view(y.shape[0], self.feature_size, self.pool_group).amax(dim=2)
        return f, self.classifier(f)


class PooledRes(nn.Module):
    """pooled-res.ts: a 9-slice conv over the features shared across copies, max over copies, 3 conv layers."""

    def __init__(self, f):
        super().__init__()
        self.slices = nn.Conv2d(1, 64, (9, f), stride=(1, f), padding=(4, 0))
        self.bn0 = nn.BatchNorm1d(64)
        self.conv1 = nn.Conv1d(64, 64, 7, padding=3)
        self.bn1 = nn.BatchNorm1d(64)
        self.conv2 = nn.Conv1d(128, 64, 5, padding=2)
        self.bn2 = nn.BatchNorm1d(64)
        self.logits = nn.Conv1d(192, 6, 3, padding=1)

    def forward(self, x):  # x [B, K, 60, F]
        b, k, s, f = x.shape
        y = self.slices(x.reshape(b * k, 1, s, f)).reshape(b, k, 64, s).amax(dim=1)
        x0 = self.bn0(y)
        x1 = F.relu(self.bn1(self.conv1(x0)))
        x2 = F.relu(self.bn2(self.conv2(torch.cat([x0, x1], 1))))
        return self.logits(torch.cat([x0, x1, x2], 1))


class ResBlock(nn.Module):
    def __init__(self, ni, nh):
        super().__init__()
        self.a = nn.Sequential(nn.Conv1d(ni, nh, 1), nn.BatchNorm1d(nh), nn.ReLU(), nn.Conv1d(nh, nh, 5), nn.BatchNorm1d(nh))
        self.skip = None if ni == nh else nn.Sequential(nn.Conv1d(ni, nh, 1), nn.BatchNorm1d(nh))

    def forward(self, x):
        s = x[:, :, 2:-2]
        return F.relu(self.a(x) + (s if self.skip is None else self.skip(s)))


class Shallow(nn.Module):
    """shallow-nn.ts: per-slice stem over features + 38 continuous + 30 embedded dims, three residual pairs."""

    def __init__(self, f):
        super().__init__()
        self.emb = nn.ModuleList([nn.Embedding(16, 3) for _ in range(10)])
        self.stem = nn.Sequential(nn.Conv1d(f + 38 + 30, 64, 1), nn.BatchNorm1d(64), nn.ReLU())
        self.r1, self.r2 = ResBlock(64, 64), ResBlock(64, 32)
        self.r3, self.r4 = ResBlock(96, 64), ResBlock(64, 32)
        self.r5, self.r6 = ResBlock(128, 64), ResBlock(64, 32)
        self.logits = nn.Conv1d(160, 6, 1)

    def forward(self, feats, cont, cat):  # [B, 84, F], [B, 84, 38], [B, 84, 10] int
        e = torch.cat([m(cat[:, :, i]) for i, m in enumerate(self.emb)], 2)
        x = self.stem(torch.cat([feats, cont, e], 2).transpose(1, 2))
        x2 = self.r2(self.r1(x))
        x3 = self.r4(self.r3(torch.cat([x[:, :, 4:-4], x2], 1)))
        x4 = self.r6(self.r5(torch.cat([x[:, :, 8:-8], x2[:, :, 4:-4], x3], 1)))
        return self.logits(torch.cat([x[:, :, 12:-12], x2[:, :, 8:-8], x3[:, :, 4:-4], x4], 1))


def prepare(path, size):
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array.astype(np.float64) * float(getattr(ds, "RescaleSlope", 1)) + float(getattr(ds, "RescaleIntercept", 0))
    r, c = hu.shape
    n = max(r, c)
    if r != c:
        sq = np.full((n, n), hu[0, 0])
        sq[(n - r) // 2:(n - r) // 2 + r, (n - c) // 2:(n - c) // 2 + c] = hu
        hu = sq
    return resize(hu, (size, size), order=1, mode="reflect", anti_aliasing=True, preserve_range=True).astype(np.float32)


def tta(x, copies, gen):
    """K copies of each image through one random affine each (flip, +-10 deg, +-3 px shift, +-10% zoom)."""
    n, _, h, w = x.shape
    m = n * copies
    angle = (torch.rand(m, generator=gen) * 20 - 10) * math.pi / 180
    zoom = 1 + (torch.rand(m, generator=gen) * 0.2 - 0.1)
    flip = torch.where(torch.rand(m, generator=gen) < 0.5, -1.0, 1.0)
    shift = (torch.rand(m, 2, generator=gen) * 6 - 3) * 2 / w
    theta = torch.zeros(m, 2, 3)
    theta[:, 0, 0] = torch.cos(angle) * zoom * flip
    theta[:, 0, 1] = -torch.sin(angle) * zoom
    theta[:, 1, 0] = torch.sin(angle) * zoom * flip
    theta[:, 1, 1] = torch.cos(angle) * zoom
    theta[:, :, 2] = shift
    src = x.repeat_interleave(copies, 0)
    grid = F.affine_grid(theta, list(src.shape), align_corners=False)
    return F.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("meta")
    p.add_argument("files")
    p.add_argument("series")
    p.add_argument("--folds", type=int, default=3)
    p.add_argument("--copies", type=int, default=8)
    p.add_argument("--passes", type=int, default=8)
    p.add_argument("--test-copies", type=int, default=4)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with open(a.meta) as f:
        meta = json.load(f)
    arch, size = meta["archConfig"], meta["imageSize"]
    with open(a.files) as f:
        files = [line.strip() for line in f if line.strip()]
    series = [int(s) for s in a.series.split(",")]
    if sum(series) != len(files):
        raise SystemExit(f"reference_predict.py: series sizes {series} do not add up to {len(files)} files")
    gen = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    with torch.no_grad():
        # Read and resized once for all folds (they share the image size).
        x = torch.from_numpy(np.stack([prepare(p_, size) for p_ in files]))[:, None]
        for fold in range(a.folds):
            torch.manual_seed(fold)
            base = BaseCNN(arch).eval()
            xs = tta(x, a.copies, gen)
            feats = []
            for i in range(0, xs.shape[0], a.batch):
                f_, _ = base(xs[i:i + a.batch])
                feats.append(f_)
            feats = torch.cat(feats).view(len(files), a.copies, -1)
            fsize = feats.shape[2]
            pooled = PooledRes(fsize).eval()
            shallow = [Shallow(fsize).eval(), Shallow(fsize).eval()]
            at = 0
            for n in series:
                sf = feats[at:at + n]
                at += n
                xin = torch.zeros(a.passes, a.test_copies, FULLHEAD_SLICES, fsize)
                for k in range(a.passes):
                    pick = torch.randint(0, a.copies, (a.test_copies,), generator=gen)
                    xin[k, :, :n] = sf[:, pick].transpose(0, 1)
                torch.sigmoid(pooled(xin)).mean(0)
                rows = FULLHEAD_SLICES + 2 * SHALLOW_PAD
                fin = torch.zeros(a.passes, rows, fsize)
                for k in range(a.passes):
                    fin[k, SHALLOW_PAD:SHALLOW_PAD + n] = sf[torch.arange(n), torch.randint(0, a.copies, (n,), generator=gen)]
                cont = torch.randn(a.passes, rows, 38, generator=gen)
                cat = torch.randint(0, 16, (a.passes, rows, 10), generator=gen)
                for m in shallow:
                    torch.sigmoid(m(fin, cont, cat)).mean(0)
    seconds = time.perf_counter() - t0
    print(json.dumps({"slices": len(files), "seconds": seconds, "importSeconds": T_IMPORTED - T_START, "torch": torch.__version__,
                      "threads": torch.get_num_threads(), "images": len(files) * a.copies * a.folds}))


if __name__ == "__main__":
    main()
