"""Guide 9, the Python side: a seqlab LSTM's state dict in torch.nn.LSTM.

    /usr/bin/python3 apps/docs/examples/pytorch-interop.py FILE.safetensors

FILE is what ``toPyTorch`` in pytorch-interop.ts writes: the state dict (PyTorch's keys), an
``input`` and seqlab's ``output``. Prints the largest difference between PyTorch's output and
seqlab's; exits 1 above 1e-5. Needs only torch (safetensors is read by python/seqlab_torch.py).
"""
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "python"))
from seqlab_torch import load_safetensors  # noqa: E402

#region load
tensors = load_safetensors(sys.argv[1])
state = {k: v for k, v in tensors.items() if k not in ("input", "output")}
lstm = torch.nn.LSTM(3, 5, num_layers=2, bidirectional=True, batch_first=True)
lstm.load_state_dict(state)  # strict=True: the keys are PyTorch's own
lstm.eval()
with torch.no_grad():
    output, _ = lstm(tensors["input"])
diff = (output - tensors["output"]).abs().max().item()
print(f"seqlab -> PyTorch: max |output - seqlab's| = {diff:.2e}")
#endregion load
sys.exit(0 if diff <= 1e-5 else 1)
