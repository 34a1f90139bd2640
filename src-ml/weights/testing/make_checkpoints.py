"""Writes PyTorch checkpoints and reference outputs for the weights-import parity tests.

usage: make_checkpoints.py <spec.json> <out-dir>
spec: [{"name", "arch", "form", "size", "batch", "seed", "dtype"?}, ...]
  form: bare | nested-module (``{'state_dict': {'module.' + k: v}, 'epoch': 3, 'best': 0.07}``)
        | model-old-names (``{'model': sd}`` with torchvision's old DenseNet names 'norm.1')
        | safetensors (written here from the format's spec: u64 header length, JSON header, raw data)
        | foreign-global (a torch.save file whose pickle calls os.system: must never run)
        | namespace (``{'state_dict': sd, 'args': argparse.Namespace(lr=1)}``)
  dtype: float32 (default) | float16: the stored weights are float16; the reference uses the same rounded values.
For each case writes <name>.pth|.safetensors, <name>.x.npy [N, 3, S, S] and <name>.y.npy (the body's last
feature map before pooling, eval mode: SE-nets model.features(x), DenseNet relu(model.features(x))).
Batch-norm statistics and affine parameters are randomised so eval mode differs from identity."""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch
import torchvision

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_senet  # noqa: E402


def build(arch):
    if arch.startswith('densenet'):
        return getattr(torchvision.models, arch)(weights=None)
    return getattr(reference_senet, arch)()


def randomise_bn(model, gen):
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.25)
            m.weight.data.copy_(torch.rand(c, generator=gen) + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.2)
            m.num_batches_tracked.fill_(1234)


def body(model, arch, x):
    if arch.startswith('densenet'):
        return torch.relu(model.features(x))
    return model.features(x)


SAFE_DTYPES = {torch.float32: 'F32', torch.float16: 'F16', torch.int64: 'I64'}


def save_safetensors(sd, path):
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        b = v.detach().contiguous().cpu().numpy().tobytes()
        header[k] = {'dtype': SAFE_DTYPES[v.dtype], 'shape': list(v.shape), 'data_offsets': [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    header['__metadata__'] = {'format': 'pt'}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * ((8 - len(text) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


class Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def main():
    spec = json.load(open(sys.argv[1]))
    out = sys.argv[2]
    torch.set_num_threads(2)
    report = {}
    for case in spec:
        name, arch, form = case['name'], case['arch'], case['form']
        if form == 'foreign-global':
            torch.save({'state_dict': {'w': torch.zeros(2)}, 'hook': Evil(case['marker'])}, os.path.join(out, name + '.pth'))
            continue
        torch.manual_seed(case['seed'])
        gen = torch.Generator().manual_seed(case['seed'])
        model = build(arch)
        randomise_bn(model, gen)
        model.eval()
        if case.get('dtype') == 'float16':
            model = model.half().float()  # the reference runs on the stored (rounded) values
        sd = model.state_dict()
        if case.get('dtype') == 'float16':
            sd = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
        x = torch.randn(case['batch'], 3, case['size'], case['size'], generator=gen)
        with torch.no_grad():
            y = body(model, arch, x)
        np.save(os.path.join(out, name + '.x.npy'), x.numpy().astype(np.float32))
        np.save(os.path.join(out, name + '.y.npy'), y.numpy().astype(np.float32))
        report[name] = {'shape': list(y.shape), 'absmax': float(y.abs().max()), 'std': float(y.std()), 'zeros': float((y == 0).float().mean())}
        if form == 'bare':
            torch.save(sd, os.path.join(out, name + '.pth'))
        elif form == 'nested-module':
            torch.save({'state_dict': {'module.' + k: v for k, v in sd.items()}, 'epoch': 3, 'best': 0.07}, os.path.join(out, name + '.pth'))
        elif form == 'model-old-names':
            import re
            old = {re.sub(r'(denselayer\d+\.(?:norm|relu|conv))([12])\.', r'\1.\2.', k): v for k, v in sd.items()}
            torch.save({'model': old}, os.path.join(out, name + '.pth'))
        elif form == 'namespace':
            torch.save({'state_dict': sd, 'args': argparse.Namespace(lr=1)}, os.path.join(out, name + '.pth'))
        elif form == 'safetensors':
            save_safetensors(sd, os.path.join(out, name + '.safetensors'))
        else:
            raise SystemExit(f'unknown form {form}')
    print(json.dumps(report))


if __name__ == '__main__':
    main()
