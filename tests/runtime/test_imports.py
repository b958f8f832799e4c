"""The runtime runs on a board: importing it and running a model loads NumPy-only modules."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("onnx", "onnxruntime", "torch", "cryptography", "PIL", "scipy",
             "npukit.frontends", "npukit.passes", "npukit.quant", "npukit.partition",
             "npukit.compiler", "npukit.targets", "npukit.api", "npukit.cli")

SCRIPT = """
import json, sys
import numpy as np
from npukit.runtime import Runtime
with Runtime(sys.argv[1]) as rt:
    out = rt.run({"image": np.zeros((1, 1, 28, 28), np.float32)})
    rt.run_async({"image": np.zeros((2, 1, 28, 28), np.float32)}).result()
print(json.dumps(sorted(sys.modules)))
"""


def test_runtime_imports_numpy_only(demo_npk):
    r = subprocess.run([sys.executable, "-c", SCRIPT, str(demo_npk.path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    mods = json.loads(r.stdout.strip().splitlines()[-1])
    bad = [m for m in mods if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []
