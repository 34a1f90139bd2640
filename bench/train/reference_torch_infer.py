"""PyTorch BenchSeq inference (reference_torch.py's model, eval mode, no_grad, batch 32, torch.set_num_threads(2)),
driven over stdin so that bench-seq-infer.ts can alternate it with ONNX Runtime in one run.
Each input line "N" runs N timed forwards and prints one JSON line {"ms": [...]}; EOF ends it.
Run with Debian's python3 (python3-torch)."""
import json
import sys
import time

import torch

from reference_torch import BenchSeq


def main() -> None:
    torch.set_num_threads(2)
    torch.manual_seed(0)
    model = BenchSeq().eval()
    x = torch.rand(32, 60, 256)
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    with torch.no_grad():
        for line in sys.stdin:
            ms = []
            for _ in range(int(line)):
                t0 = time.perf_counter()
                model(x)
                ms.append((time.perf_counter() - t0) * 1000)
            print(json.dumps({"ms": ms}), flush=True)


if __name__ == "__main__":
    main()
