"""A seqlab run directory in PyTorch, and PyTorch weights in seqlab.

seqlab's parameter names are PyTorch's, so a run's ``model.safetensors`` is the state dict of the
``torch.nn`` model built here from its ``config.json``, loaded with strict key matching. The other
way, ``save_safetensors(model.state_dict(), path)`` writes a file that seqlab's ``loadStateDict``
(or ``seqlab predict --run``, in place of a run's ``model.safetensors``) reads.

Needs only torch (1.10 or later, for ``torch.frombuffer``): safetensors is read and written here.

    from seqlab_torch import load_run
    run = load_run("runs/spam")
    run.predict_proba(["win a free cruise", "see you at lunch"])   # [[0.98, 0.02], ...]

    python3 python/seqlab_torch.py predict --run runs/spam "win a free cruise"

Word and char tokenizers are reproduced (the same ids as seqlab); for a ``bpe`` run, encode with
seqlab and pass ids to ``Run.logits_from_ids``.
"""

import argparse
import json
import re
import struct
import sys
import unicodedata

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

__all__ = [
    "TextClassifier",
    "TextEncoder",
    "Run",
    "load_run",
    "load_safetensors",
    "save_safetensors",
]

# safetensors dtype names -> (torch dtype, bytes per element)
_DTYPES = {
    "F64": (torch.float64, 8),
    "F32": (torch.float32, 4),
    "F16": (torch.float16, 2),
    "BF16": (torch.bfloat16, 2),
    "I64": (torch.int64, 8),
    "I32": (torch.int32, 4),
    "I16": (torch.int16, 2),
    "I8": (torch.int8, 1),
    "U8": (torch.uint8, 1),
    "BOOL": (torch.bool, 1),
}
_NAMES = {dtype: name for name, (dtype, _) in _DTYPES.items()}
_MAX_HEADER = 100_000_000


class FormatError(ValueError):
    """A file that is not what it claims to be; the message names the file and the field."""


def load_safetensors(path):
    """Reads a safetensors file into a dict of tensors (in the file's data order)."""
    with open(path, "rb") as f:
        data = f.read()

    def fail(what):
        raise FormatError(f"{path}: {what}")

    if len(data) < 8:
        fail(f"expected at least 8 bytes, got {len(data)}")
    (size,) = struct.unpack("<Q", data[:8])
    if size > min(_MAX_HEADER, len(data) - 8):
        fail(f"expected a header of at most {min(_MAX_HEADER, len(data) - 8)} bytes, got {size}")
    try:
        header = json.loads(data[8 : 8 + size].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        fail(f"expected a UTF-8 JSON header, got {e}")
    if not isinstance(header, dict):
        fail(f"expected a JSON object header, got {type(header).__name__}")
    body = data[8 + size :]
    entries = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or info.get("dtype") not in _DTYPES:
            fail(f"expected {name} to have a dtype of {', '.join(_DTYPES)}, got {info!r:.80}")
        shape = info.get("shape")
        offsets = info.get("data_offsets")
        if not (isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)):
            fail(f"expected {name} to have a shape of non-negative integers, got {shape!r:.80}")
        if not (isinstance(offsets, list) and len(offsets) == 2 and all(isinstance(o, int) for o in offsets)):
            fail(f"expected {name} to have data_offsets [begin, end], got {offsets!r:.80}")
        entries.append((offsets[0], offsets[1], name, info["dtype"], shape))
    entries.sort()
    tensors = {}
    at = 0
    for begin, end, name, dtype_name, shape in entries:
        dtype, width = _DTYPES[dtype_name]
        count = 1
        for d in shape:
            count *= d
        if begin != at or end - begin != count * width:
            fail(f"expected {name} at bytes [{at}, {at + count * width}), got [{begin}, {end})")
        at = end
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if count > 0 else torch.empty(0, dtype=dtype)
        tensors[name] = flat.reshape(shape)
    if at != len(body):
        fail(f"expected {at} data bytes after the header, got {len(body)}")
    return tensors


def save_safetensors(tensors, path, metadata=None):
    """Writes a dict of tensors (a state dict) as a safetensors file seqlab reads."""
    header = {}
    chunks = []
    at = 0
    for name, tensor in tensors.items():
        t = tensor.detach().cpu().contiguous()
        if t.dtype not in _NAMES:
            raise TypeError(f"save_safetensors: {name} has dtype {t.dtype}, expected one of {list(_NAMES)}")
        raw = t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() > 0 else b""
        header[name] = {"dtype": _NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        chunks.append(raw)
        at += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


class TextClassifier(nn.Module):
    """seqlab's TextClassifier (apps/trainer/src/model.ts), parameter for parameter.

    ``embedding`` -> ``lstm`` / ``gru`` / ``rnn`` over a packed batch -> the last layer's final
    states (forward, backward) -> ``fc``; or, for model ``bag``, the mean of the embeddings of the
    real tokens -> ``mlp`` (Linear, ReLU, Linear).
    """

    def __init__(self, config, vocab_size, num_classes):
        super().__init__()
        self.kind = config["model"]
        self.bidirectional = bool(config["bidirectional"])
        embed, hidden, layers = config["embed"], config["hidden"], config["layers"]
        self.embedding = nn.Embedding(vocab_size, embed, padding_idx=0)
        if self.kind == "bag":
            self.mlp = nn.Sequential(nn.Linear(embed, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))
            return
        cells = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}
        if self.kind not in cells:
            raise ValueError(f"TextClassifier: expected model lstm, gru, rnn or bag, got {self.kind!r}")
        recurrent = cells[self.kind](
            embed,
            hidden,
            num_layers=layers,
            bidirectional=self.bidirectional,
            batch_first=True,
            dropout=config["dropout"] if layers > 1 else 0.0,
        )
        setattr(self, self.kind, recurrent)  # the state dict's prefix: lstm., gru. or rnn.
        self.fc = nn.Linear((2 if self.bidirectional else 1) * hidden, num_classes)

    def forward(self, ids, lengths):
        """Logits [B, C] of padded ids [B, T] (0 = <pad>) with their lengths [B]."""
        if self.kind == "bag":
            mask = ids.ne(0).float().unsqueeze(-1)
            pooled = (self.embedding(ids) * mask).sum(1) / lengths.float().unsqueeze(1)
            return self.mlp(pooled)
        packed = pack_padded_sequence(self.embedding(ids), lengths.cpu(), batch_first=True, enforce_sorted=False)
        _, state = getattr(self, self.kind)(packed)
        h_n = state[0] if self.kind == "lstm" else state
        features = torch.cat([h_n[-2], h_n[-1]], 1) if self.bidirectional else h_n[-1]
        return self.fc(features)


class TextEncoder:
    """A run's tokenizer.json: the same token ids as seqlab for word and char runs."""

    def __init__(self, spec):
        if not isinstance(spec, dict) or spec.get("type") != "seqlab.TextEncoder":
            raise FormatError(f"tokenizer.json: expected type 'seqlab.TextEncoder', got {spec!r:.80}")
        self.kind = spec["kind"]
        self.max_len = spec["maxLen"]
        if self.kind == "bpe":
            self.itos = None
            return
        if self.kind not in ("word", "char"):
            raise FormatError(f"tokenizer.json: expected kind word, char or bpe, got {self.kind!r}")
        self.itos = spec["vocab"]["itos"]
        self.stoi = {token: i for i, token in enumerate(self.itos)}
        self.unk = self.stoi["<unk>"]

    @property
    def vocab_size(self):
        return len(self.itos)

    def tokens(self, text):
        if self.kind == "word":
            # WordTokenizer({ pattern: "[a-z0-9']+", lowercase: true, normalize: false })
            return re.findall(r"[a-z0-9']+", text.lower())[: self.max_len]
        # CharTokenizer's defaults: NFC, code points
        return list(unicodedata.normalize("NFC", text))[: self.max_len]

    def encode(self, text):
        if self.kind == "bpe":
            raise NotImplementedError(
                "TextEncoder.encode: a bpe run's ids come from seqlab's BPETokenizer "
                "(its pre-tokenization regex needs Unicode classes Python's re lacks); "
                "encode with seqlab and call Run.logits_from_ids"
            )
        ids = [self.stoi.get(token, self.unk) for token in self.tokens(text)]
        return ids or [self.unk]  # an empty text is the single id <unk>, as in seqlab


class Run:
    """A loaded run directory: the model (in eval mode), its encoder and its label names."""

    def __init__(self, model, encoder, labels, config):
        self.model = model
        self.encoder = encoder
        self.labels = labels
        self.config = config

    @torch.no_grad()
    def logits_from_ids(self, id_lists):
        """Logits [B, C] of token id lists (each non-empty)."""
        lengths = torch.tensor([len(ids) for ids in id_lists], dtype=torch.int64)
        if len(id_lists) == 0 or int(lengths.min()) < 1:
            raise ValueError("logits_from_ids: expected non-empty id lists")
        padded = torch.zeros(len(id_lists), int(lengths.max()), dtype=torch.int64)
        for i, ids in enumerate(id_lists):
            padded[i, : len(ids)] = torch.tensor(ids, dtype=torch.int64)
        return self.model(padded, lengths)

    def logits(self, texts):
        return self.logits_from_ids([self.encoder.encode(text) for text in texts])

    def predict_proba(self, texts):
        """Class probabilities [B, C] as nested lists, in the order of ``labels``."""
        return torch.softmax(self.logits(texts), dim=1).tolist()

    def predict(self, texts):
        """The most probable label name of each text."""
        return [self.labels[i] for i in self.logits(texts).argmax(1).tolist()]


def _read_json(path):
    with open(path, "r", encoding="utf-8") as f:
        return json.load(f)


def load_run(run_dir, weights=None):
    """Builds the torch model of a run directory and loads its weights (strict key matching).

    ``weights`` overrides the run's ``model.safetensors`` (e.g. a checkpoint's ``best.*`` file).
    """
    config = _read_json(f"{run_dir}/config.json")
    encoder = TextEncoder(_read_json(f"{run_dir}/tokenizer.json"))
    labels = _read_json(f"{run_dir}/labels.json")["names"]
    state = load_safetensors(weights or f"{run_dir}/model.safetensors")
    embedding = state.get("embedding.weight")
    if embedding is None or embedding.dim() != 2:
        raise FormatError(f"{run_dir}: expected model.safetensors to hold embedding.weight [V, E]")
    model = TextClassifier(config, embedding.shape[0], len(labels))
    model.load_state_dict(state, strict=True)
    model.eval()
    return Run(model, encoder, labels, config)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    predict = commands.add_parser("predict", help="label and class probabilities, as seqlab predict --json")
    predict.add_argument("--run", required=True, help="a seqlab run directory")
    predict.add_argument("--weights", help="a safetensors file to use instead of the run's model.safetensors")
    predict.add_argument("texts", nargs="*", help="texts (default: one per line on stdin)")
    args = parser.parse_args(argv)
    run = load_run(args.run, args.weights)
    texts = args.texts or [line.rstrip("\n") for line in sys.stdin if line.strip()]
    for text, probs in zip(texts, run.predict_proba(texts)):
        best = max(range(len(probs)), key=lambda k: probs[k])
        print(json.dumps({"text": text, "label": run.labels[best], "probabilities": dict(zip(run.labels, probs))}))


if __name__ == "__main__":
    main()
