"""Write a tiny random-weights llama model as GGUF, for llama.cpp's server in the judge tests.

No model hub is reachable here, so the tests make their own model: one layer, 64 dimensions,
a SentencePiece-style vocabulary of the printable ASCII characters, a few JSON word pieces and
the 256 byte tokens (so any text tokenizes). Grammar-constrained output is valid JSON whatever
the weights; the weights are random except for one dimension that every embedding carries
and that the output rows of the JSON closers (`"`, `]`, `}`) read strongly, so a string closes
at once and an answer takes a few dozen tokens. The digits get no such help: at the score,
the model's own (pre-grammar) probability of any digit is tiny, which is what the judge's
confidence must show.

Run with the test servers' interpreter (gguf lives there): python tiny_gguf.py OUT.gguf
"""

from __future__ import annotations

import sys

import gguf  # type: ignore[import-not-found]
import numpy as np

N_EMBD = 64
N_HEAD = 4
N_FF = 128
N_CTX = 16384
SEED = 20260
#: Word pieces that shorten the prompt and the answer (SentencePiece marks a space with ▁).
PIECES = ('"score"', '"rationale"', '"tags"', "▁the", "▁a", "▁of", "▁to", "▁is", "score")
#: Tokens the answer's structure needs, read strongly through the constant dimension.
CLOSERS = {'"': 12.0, "]": 10.0, "}": 10.0}


def vocabulary() -> tuple[list[str], list[float], list[int]]:
    """(tokens, scores, types): special tokens, bytes, characters, then longer pieces.

    SentencePiece merges adjacent pieces whose concatenation is a token, best score first,
    so every prefix of a longer piece is a token too.
    """
    normal, special, byte = gguf.TokenType.NORMAL, gguf.TokenType.CONTROL, gguf.TokenType.BYTE
    tokens = ["<unk>", "<s>", "</s>"]
    types = [gguf.TokenType.UNKNOWN, special, special]
    tokens += [f"<0x{b:02X}>" for b in range(256)]
    types += [byte] * 256
    chars = ["▁"] + [chr(c) for c in range(33, 127)]
    pieces: list[str] = []
    for piece in PIECES:
        pieces += [piece[:n] for n in range(2, len(piece) + 1)]
    extra = [p for p in dict.fromkeys(pieces) if p not in chars]
    tokens += chars + extra
    types += [normal] * (len(chars) + len(extra))
    scores = [0.0] * (3 + 256) + [-1.0] * len(chars) + [float(len(p)) for p in extra]
    return tokens, scores, [int(t) for t in types]


def write(path: str) -> None:
    tokens, scores, types = vocabulary()
    rng = np.random.default_rng(SEED)
    n_vocab = len(tokens)

    def weights(*shape: int, scale: float = 0.02) -> np.ndarray:
        return (rng.standard_normal(shape) * scale).astype(np.float32)

    writer = gguf.GGUFWriter(path, "llama")
    writer.add_name("tui-annotate tiny test model")
    writer.add_context_length(N_CTX)
    writer.add_embedding_length(N_EMBD)
    writer.add_block_count(1)
    writer.add_feed_forward_length(N_FF)
    writer.add_head_count(N_HEAD)
    writer.add_head_count_kv(N_HEAD)
    writer.add_rope_dimension_count(N_EMBD // N_HEAD)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_vocab_size(n_vocab)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_unk_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)

    embed = weights(n_vocab, N_EMBD, scale=0.5)
    embed[:, 0] = 8.0  # the constant dimension: survives the residual stream and the norm
    output = weights(n_vocab, N_EMBD, scale=0.5)
    output[:, 0] = 0.0
    for text, strength in CLOSERS.items():
        output[tokens.index(text), 0] = strength
    writer.add_tensor("token_embd.weight", embed)
    writer.add_tensor("output_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor("output.weight", output)
    block = "blk.0."
    writer.add_tensor(block + "attn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    for name in ("attn_q", "attn_k", "attn_v", "attn_output"):
        writer.add_tensor(f"{block}{name}.weight", weights(N_EMBD, N_EMBD))
    writer.add_tensor(block + "ffn_norm.weight", np.ones(N_EMBD, dtype=np.float32))
    writer.add_tensor(block + "ffn_gate.weight", weights(N_FF, N_EMBD))
    writer.add_tensor(block + "ffn_up.weight", weights(N_FF, N_EMBD))
    writer.add_tensor(block + "ffn_down.weight", weights(N_EMBD, N_FF))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


if __name__ == "__main__":
    write(sys.argv[1])
