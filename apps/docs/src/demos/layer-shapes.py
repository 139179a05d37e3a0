# Guide 6's PyTorch side: stacked and bidirectional recurrent layers and the shapes they return.
# Each print's trailing comment is what PyTorch 1.13 prints; layer-shapes.test.ts checks the
# comments against apps/docs/fixtures/layer-shapes.json (tools/fixtures/gen_layer_shapes.py runs
# this file) and, when /usr/bin/python3 has torch, against a fresh run.
import torch
from torch import nn

torch.manual_seed(0)
T, B, I, H = 5, 3, 10, 20
x = torch.randn(T, B, I)  # [T, B, I]: batch_first=False, PyTorch's default

lstm = nn.LSTM(I, H)
output, (h_n, c_n) = lstm(x)
print("lstm", list(output.shape), list(h_n.shape), list(c_n.shape))  # lstm [5, 3, 20] [1, 3, 20] [1, 3, 20]

stacked = nn.LSTM(I, H, num_layers=2)
output, (h_n, c_n) = stacked(x)
print("stacked", list(output.shape), list(h_n.shape), list(c_n.shape))  # stacked [5, 3, 20] [2, 3, 20] [2, 3, 20]

bi = nn.LSTM(I, H, bidirectional=True)
output, (h_n, c_n) = bi(x)
print("bidirectional", list(output.shape), list(h_n.shape), list(c_n.shape))  # bidirectional [5, 3, 40] [2, 3, 20] [2, 3, 20]

both = nn.LSTM(I, H, num_layers=2, bidirectional=True)
output, (h_n, c_n) = both(x)
print("stacked-bidirectional", list(output.shape), list(h_n.shape), list(c_n.shape))  # stacked-bidirectional [5, 3, 40] [4, 3, 20] [4, 3, 20]

# h_n is [L·D, B, H], layer by layer, forward before reverse: the last layer's two final states
# are h_n[-2] (forward) and h_n[-1] (reverse), the article's classifier input.
last = torch.cat([h_n[-2], h_n[-1]], dim=1)
print("last-layer", list(last.shape))  # last-layer [3, 40]

gru = nn.GRU(I, H, num_layers=2, bidirectional=True, batch_first=True)
output, h_n = gru(x.transpose(0, 1))  # [B, T, I]
print("gru-batch-first", list(output.shape), list(h_n.shape))  # gru-batch-first [3, 5, 40] [4, 3, 20]
