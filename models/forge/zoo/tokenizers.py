"""Tokenizers of the zoo: a CLIP-format byte-level BPE (vocab.json + merges.txt) trained on the captions, and a
whole-word WordPiece vocabulary (vocab.txt) for the captioner. Captions are lower-case ASCII words, so the byte
→ unicode map of CLIP is the identity on their characters and words split on spaces."""
from __future__ import annotations

import collections
import json
from pathlib import Path

BOS, EOS = "<|startoftext|>", "<|endoftext|>"


def bytes_to_unicode() -> list[str]:
    """CLIP/GPT-2's reversible byte → printable character table, in byte order."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    table = dict(zip(bs, cs))
    return [chr(table[b]) for b in range(256)]


class Bpe:
    def __init__(self, merges: list[tuple[str, str]]):
        self.merges = merges
        self.ranks = {m: i for i, m in enumerate(merges)}
        base = bytes_to_unicode()
        vocab = base + [c + "</w>" for c in base] + ["".join(m) for m in merges] + [BOS, EOS]
        self.vocab = {t: i for i, t in enumerate(vocab)}
        self.bos, self.eos = self.vocab[BOS], self.vocab[EOS]

    @staticmethod
    def train(captions: list[str]) -> "Bpe":
        """Merges the most frequent adjacent pair (ties: lexicographic) until every caption word is one token."""
        words = collections.Counter(w for c in captions for w in c.split())
        split = {w: list(w[:-1]) + [w[-1] + "</w>"] for w in words}
        merges = []
        while True:
            pairs = collections.Counter()
            for w, parts in split.items():
                for a, b in zip(parts, parts[1:]):
                    pairs[(a, b)] += words[w]
            if not pairs:
                break
            best = min(pairs, key=lambda p: (-pairs[p], p))
            merges.append(best)
            for w, parts in split.items():
                out, i = [], 0
                while i < len(parts):
                    if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                        out.append(parts[i] + parts[i + 1])
                        i += 2
                    else:
                        out.append(parts[i])
                        i += 1
                split[w] = out
        return Bpe(merges)

    def word(self, w: str) -> list[int]:
        parts = list(w[:-1]) + [w[-1] + "</w>"]
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == 1 << 30:
                break
            parts = parts[:i] + [parts[i] + parts[i + 1]] + parts[i + 2:]
        return [self.vocab[p] for p in parts]

    def encode(self, text: str, length: int) -> list[int]:
        """[bos] + tokens + [eos], truncated, padded with eos (OpenAI CLIP's pad token)."""
        ids = [t for w in text.lower().split() for t in self.word(w)][: length - 2]
        ids = [self.bos] + ids + [self.eos]
        return ids + [self.eos] * (length - len(ids))

    def save(self, folder: Path, length: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        (folder / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in self.merges), encoding="utf-8")
        config = {"tokenizer_class": "CLIPTokenizer", "model_max_length": length, "bos_token": BOS, "eos_token": EOS,
                  "unk_token": EOS, "pad_token": EOS, "do_lower_case": True, "clean_up_tokenization_spaces": True}
        (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
        special = {"bos_token": BOS, "eos_token": EOS, "unk_token": EOS, "pad_token": EOS}
        (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2, sort_keys=True) + "\n")


SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[DEC]"]


class Words:
    """Whole-word WordPiece vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 (ends a caption) [DEC]=4 (starts one)."""

    def __init__(self, captions: list[str]):
        self.tokens = SPECIAL + sorted({w for c in captions for w in c.split()})
        self.ids = {t: i for i, t in enumerate(self.tokens)}
        self.pad, self.unk, self.sep, self.dec = 0, 1, 3, 4

    def encode(self, text: str, length: int) -> list[int]:
        """[DEC] + words + [SEP], padded with [PAD]."""
        ids = [self.dec] + [self.ids.get(w, self.unk) for w in text.split()][: length - 2] + [self.sep]
        return ids + [self.pad] * (length - len(ids))

    def decode(self, ids) -> str:
        words = []
        for i in ids:
            if i == self.sep:
                break
            if i >= len(SPECIAL):
                words.append(self.tokens[i])
        return " ".join(words)
