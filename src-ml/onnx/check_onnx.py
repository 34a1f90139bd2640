"""Checks exported ONNX files with Debian's python3-onnx: onnx.checker.check_model(full_check=True), which also
runs strict shape inference. Usage: check_onnx.py FILE... ; prints one JSON line per file
({"file", "ok", "error", "opset", "ops"}) and exits 1 if any file fails."""
import json
import sys

import onnx


def check(path):
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model, full_check=True)
        ops = sorted({n.op_type for n in model.graph.node})
        opset = max(o.version for o in model.opset_import)
        return {"file": path, "ok": True, "error": None, "opset": opset, "ops": ops}
    except Exception as err:  # noqa: BLE001 - every failure is reported as one line
        return {"file": path, "ok": False, "error": str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}


def main():
    results = [check(p) for p in sys.argv[1:]]
    for r in results:
        print(json.dumps(r))
    sys.exit(0 if all(r["ok"] for r in results) else 1)


if __name__ == "__main__":
    main()
