"""Writes PyTorch recurrent layers, their inputs and outputs as safetensors, for the interop test.

    python3 python/tests/torch_layers.py OUT_DIR

One file per case, OUT_DIR/<name>.safetensors: the layer's state dict under its own keys, plus
`input.x` [B, T, I] (batch first), `input.h0` (and `input.c0`), `output.y`, `output.hn` (and
`output.cn`), computed in float32 by torch. seqlab loads the state dict with `loadStateDict` and
must give the same outputs.
"""

import json
import os
import sys

import torch
from torch import nn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from seqlab_torch import save_safetensors  # noqa: E402

CASES = [
    ("lstm_bi_2", nn.LSTM, dict(input_size=5, hidden_size=7, num_layers=2, bidirectional=True)),
    ("lstm_proj", nn.LSTM, dict(input_size=6, hidden_size=8, num_layers=2, proj_size=3)),
    ("lstm_nobias", nn.LSTM, dict(input_size=4, hidden_size=6, bias=False)),
    ("gru_bi_2", nn.GRU, dict(input_size=5, hidden_size=7, num_layers=2, bidirectional=True)),
    ("rnn_relu", nn.RNN, dict(input_size=3, hidden_size=9, nonlinearity="relu", bidirectional=True)),
    ("rnn_tanh_3", nn.RNN, dict(input_size=4, hidden_size=5, num_layers=3)),
]


def main(out_dir):
    torch.manual_seed(0)
    cases = []
    for name, cls, options in CASES:
        layer = cls(batch_first=True, **options)
        num_layers = options.get("num_layers", 1)
        directions = 2 if options.get("bidirectional") else 1
        hidden = options["hidden_size"]
        out = options.get("proj_size") or hidden
        x = torch.randn(3, 6, options["input_size"])
        h0 = torch.randn(num_layers * directions, 3, out)
        tensors = dict(layer.state_dict())
        tensors["input.x"] = x
        tensors["input.h0"] = h0
        with torch.no_grad():
            if cls is nn.LSTM:
                c0 = torch.randn(num_layers * directions, 3, hidden)
                y, (hn, cn) = layer(x, (h0, c0))
                tensors["input.c0"] = c0
                tensors["output.cn"] = cn
            else:
                y, hn = layer(x, h0)
        tensors["output.y"] = y
        tensors["output.hn"] = hn
        save_safetensors(tensors, os.path.join(out_dir, f"{name}.safetensors"))
        cases.append({"name": name, "cell": cls.__name__, "options": options})
    print(json.dumps(cases))


if __name__ == "__main__":
    main(sys.argv[1])
