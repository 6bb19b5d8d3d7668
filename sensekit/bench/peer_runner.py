"""Run a peer adapter in the peer's own venv: ``python peer_runner.py ADAPTER IN.npz OUT.json``.

This file is executed by another Python (the peer's venv): it imports only the standard
library and numpy, never sensekit.
"""

import importlib.util
import json
import sys

import numpy as np


def main(adapter: str, inp: str, outp: str) -> None:
    spec = importlib.util.spec_from_file_location("peer_adapter", adapter)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with np.load(inp, allow_pickle=False) as f:
        inputs = {k: f[k] for k in f.files}
    with open(outp, "w") as fh:
        json.dump(module.run(inputs), fh)


if __name__ == "__main__":
    main(*sys.argv[1:4])
