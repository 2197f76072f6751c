"""The inbox's text index: which rows a query's terms occur in, without keeping the text.

A million haystacks are ~750 MB of text: too much to keep, and a scan of them costs a
second a query. `TextIndex` keeps instead, per distinct *token* (a maximal run of word
bytes, see below), a compressed bitmap (pyroaring) of the rows holding it: ~100 bytes a
row. A term is a substring query (`term in haystack`, filters.py), answered exactly:

- A *simple* term consists of word characters only. Any occurrence of it lies inside one
  maximal run of word characters — one token — so its rows are the union of the bitmaps
  of the tokens that contain it. The tokens are found in the vocabulary (a few MB of
  bytes, searched with numpy), and the bitmaps are united in C.
- A term without spaces that holds punctuation and a letter ("node.js", "c++") lies in
  one *span* of the haystack (a maximal run of bytes above the space), and inside its
  *core*: the span without the sentence punctuation at its edges ("node.js," -> "node.js"),
  unless the term itself begins or ends with such punctuation. The cores that hold
  punctuation and a letter (a few a row) have bitmaps too, so such a term's rows are the
  union of the bitmaps of the cores containing it; no text is read.
- Any other term ("mobile app", "(c++") is narrowed by each of its word runs (the first
  must end a token, the last begin one, those between be whole tokens), by its punctuation
  (`_marked`) and by the cores of its pieces between spaces, and the candidates are
  checked against their real haystacks, fetched from the row source (the store). Exact,
  but its cost grows with the candidates: ~19 us each.

Word bytes are ASCII letters, digits and "_" and every byte of a non-ASCII character, so
splitting the UTF-8 bytes never cuts a character, and a term is simple when all its
characters are word characters. Tokens are found in slices of a few thousand rows with
numpy (`add`): word-byte runs, a 64-bit polynomial hash per run, one sort. Rows holding a
token longer than `MAX_TOKEN` bytes, and rows added or changed after the bulk load, are
kept as text in a small *overlay* and tested with `in` directly. Rows holding a core
longer than `MAX_TOKEN`, or met after `MAX_CORES` distinct cores, are checked against
their text for core-answered terms.
"""

from __future__ import annotations

import re
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pyroaring import BitMap

from app.domain.filters import And, Not, Or, QueryNode, Term

__all__ = ["MAX_CORES", "MAX_TOKEN", "TextIndex", "is_simple", "word_runs"]

MAX_TOKEN = 64  # bytes; rows with a longer token live in the overlay
_CACHE = 96  # remembered results of terms of words only (each a few ms to find again)
# ... and of the other terms, apart: a phrase is checked against its candidates' text
# (seconds at a million rows), and the words typed letter by letter since (every prefix
# is a term: a few minutes of searching fill 96) would push it out of one shared cache.
_CACHE_CHECKED = 16

# Word bytes: ASCII letters, digits, "_" and all bytes of non-ASCII characters.
_WORD = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORD[_c] = True
_WORD[0x80:] = True
_NON_WORD_RE = re.compile(r"[\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]")
_WORD_RUN_RE = re.compile(r"[^\x00-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f]+")

# A bit for each ASCII byte that is not a word byte, but the newline (the rows'
# separator): 64 of them, one uint64 a row.
_MARK_VALUE = np.zeros(256, dtype=np.uint64)
for _bit, _byte in enumerate(b for b in range(128) if not _WORD[b] and b != 10):
    _MARK_VALUE[_byte] = np.uint64(1) << np.uint64(_bit)
del _bit, _byte

# Spans: maximal runs of bytes above the space (the haystack's words with their
# punctuation, "node.js," or "c++"). A span's *core* is the span without the sentence
# punctuation at its edges ("node.js"); the cores holding punctuation and a letter are
# indexed.
_SPACE = np.zeros(256, dtype=bool)
_SPACE[: 0x20 + 1] = True
_EDGE = np.zeros(256, dtype=bool)
for _c in b".,;:!?\"'()[]{}<>*-`":
    _EDGE[_c] = True
_EDGE_CHARS = frozenset(".,;:!?\"'()[]{}<>*-`")
_SPACE_RE = re.compile(r"[\x00-\x20]+")
_STRIP_STEPS = 4  # edge bytes stripped at most per side: a longer edge stays (still exact)
# Only cores with a letter are indexed ("$1,500" and "10-15" would grow the vocabulary by
# the number), so a piece of a term is answered from them only when it has one too.
# Each byte's kind for the cores: a letter (any byte of a non-ASCII character too), a
# digit or "_", other punctuation, or a space (control characters included).
_LETTER_KIND, _DIGIT, _PUNCT, _BLANK = 0, 1, 2, 3
_KIND = np.full(256, _LETTER_KIND, dtype=np.uint8)
_KIND[[*b"0123456789_"]] = _DIGIT
_KIND[~_WORD] = _PUNCT
_KIND[_SPACE] = _BLANK
_LETTER_RE = re.compile(r"[a-zA-Z\x80-\U0010ffff]")
# Distinct cores kept at most (~0.4 KB each with a small bitmap, so ~6 MB at most): rows
# holding a core met after that are checked against their text instead, as rows with a
# too long one are.
MAX_CORES = 16_384

_BASE = 0x9E3779B97F4A7C15  # odd: invertible mod 2**64
_POWERS = np.array([pow(_BASE, i, 2**64) for i in range(MAX_TOKEN + 1)], dtype=np.uint64)
_LENGTH_MIX = np.uint64(0xC2B2AE3D27D4EB4F)

HaystackSource = Callable[[Sequence[int]], Sequence[str]]
_CHUNK = 500  # rows tokenized at once: ~0.6 MB of text, ~20 MB of numpy scratch
_INVERSE = pow(_BASE, -1, 2**64)
_power_tables: list[tuple[NDArray[np.uint64], NDArray[np.uint64]]] = []


def _powers(size: int) -> tuple[NDArray[np.uint64], NDArray[np.uint64]]:
    """base**i and base**-i mod 2**64 for i < size (cached until `release_scratch`; a
    quarter of headroom when grown, not doubled: at 8 bytes an entry, a doubled table for
    one long chunk held 80 MB for the life of the process)."""
    if not _power_tables or len(_power_tables[0][0]) < size:
        length = max(size + size // 4, 1 << 18)
        tables = []
        for base in (_BASE, _INVERSE):
            # Doubling: [1, b, ..., b**(k-1)] * b**k gives the next k powers.
            table = np.ones(length, dtype=np.uint64)
            filled = 1
            table[0] = 1
            while filled < length:
                step = min(filled, length - filled)
                table[filled : filled + step] = table[:step] * np.uint64(pow(base, filled, 2**64))
                filled += step
            tables.append(table)
        _power_tables[:] = [(tables[0], tables[1])]
    powers, inverses = _power_tables[0]
    return powers[:size], inverses[:size]


def release_scratch() -> None:
    """Drop the cached power tables (tens of MB): a bulk load is over, and rows that
    arrive one by one do not need them."""
    _power_tables.clear()


def is_simple(term: str) -> bool:
    """Whether every character of `term` is a word character (see the module docstring)."""
    return bool(term) and _NON_WORD_RE.search(term) is None


def _cored(piece: str) -> bool:
    """Whether the cores that contain `piece` (text without spaces) are the spans that
    do: it holds punctuation and a letter, and neither begins nor ends with edge
    punctuation."""
    return (
        bool(piece)
        and not is_simple(piece)
        and piece[0] not in _EDGE_CHARS
        and piece[-1] not in _EDGE_CHARS
        and _LETTER_RE.search(piece) is not None
    )


def word_runs(term: str) -> list[tuple[str, bool, bool]]:
    """The word runs of `term`, each with (run, open on the left, open on the right)."""
    runs = []
    for match in _WORD_RUN_RE.finditer(term):
        runs.append((match.group(), match.start() == 0, match.end() == len(term)))
    return runs


def _runs(member: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(starts, ends) of the maximal runs of True in `member`."""
    if not member.any():
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    edge = np.empty(len(member) + 1, dtype=bool)
    edge[0] = member[0]
    np.not_equal(member[1:], member[:-1], out=edge[1:-1])
    edge[-1] = member[-1]
    bounds = np.flatnonzero(edge)
    return bounds[0::2], bounds[1::2]


def _hashes(
    prefix: NDArray[np.uint64],
    inverses: NDArray[np.uint64],
    starts: NDArray[np.int64],
    ends: NDArray[np.int64],
) -> NDArray[np.uint64]:
    """The polynomial hash of each run (as `_find_exact` computes it for one text)."""
    hashes: NDArray[np.uint64] = (prefix[ends] - prefix[starts]) * inverses[starts]
    hashes ^= (ends - starts).astype(np.uint64) * _LENGTH_MIX
    return hashes


def _gather(
    ids: NDArray[np.int64],
    rows: NDArray[np.int64],
    hashes: NDArray[np.uint64],
    starts: NDArray[np.int64],
    lengths: NDArray[np.int64],
    raw: bytes,
    by_hash: dict[int, int],
    bitmaps: list[BitMap],
    names: list[str],
    limit: int | None = None,
) -> list[int]:
    """Add each run's row to the bitmap of its text (made when new, while there are
    fewer than `limit`). Returns the rows (ids) of the runs left out by the limit."""
    # Runs are in row order, so a stable sort by hash keeps each text's rows sorted.
    order = np.argsort(hashes, kind="stable")
    hashes, rows, starts, lengths = hashes[order], rows[order], starts[order], lengths[order]
    fresh = np.ones(len(hashes), dtype=bool)
    fresh[1:] = (hashes[1:] != hashes[:-1]) | (rows[1:] != rows[:-1])
    hashes, rows, starts, lengths = hashes[fresh], rows[fresh], starts[fresh], lengths[fresh]
    group = np.flatnonzero(np.concatenate(([True], hashes[1:] != hashes[:-1])))
    bounds_list = np.append(group, len(hashes)).tolist()
    # pyroaring adds from an array.array('I') in C; from numpy, one element at a time.
    row_ids = array("I", ids[rows].astype(np.uint32).tobytes())
    left_out: list[int] = []
    for n, h in enumerate(hashes[group].tolist()):
        first = bounds_list[n]
        tid = by_hash.get(h)
        if tid is None:
            if limit is not None and len(names) >= limit:
                left_out += row_ids[first : bounds_list[n + 1]]
                continue
            s = int(starts[first])
            tid = by_hash[h] = len(names)
            names.append(raw[s : s + int(lengths[first])].decode("utf-8"))
            bitmaps.append(BitMap())
        bitmaps[tid].update(row_ids[first : bounds_list[n + 1]])
    return left_out


def _holding(
    vocab: NDArray[np.uint8],
    starts: NDArray[np.int64],
    text: str,
    left_open: bool = True,
    right_open: bool = True,
) -> list[int]:
    """The ids of the entries of `vocab` (entries joined by newlines, beginning at
    `starts`) that contain `text` (end with it when only the left is open, begin with it
    when only the right is)."""
    needle = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
    size = len(needle)
    if size == 0 or size > len(vocab):
        return []
    hits = np.flatnonzero(vocab[: len(vocab) - size + 1] == needle[0])
    for k in range(1, size):
        hits = hits[vocab[hits + k] == needle[k]]
        if len(hits) == 0:
            return []
    if not left_open:  # must start an entry: preceded by the separator (or at 0)
        hits = hits[(hits == 0) | (vocab[np.maximum(hits - 1, 0)] == 10)]
    if not right_open:  # must end an entry
        after = hits + size
        hits = hits[(after >= len(vocab)) | (vocab[np.minimum(after, len(vocab) - 1)] == 10)]
    found: list[int] = np.unique(np.searchsorted(starts, hits, side="right") - 1).tolist()
    return found


def _bitmap_bytes(bitmaps: Iterable[BitMap]) -> int:
    total = 0
    for bitmap in bitmaps:
        stats = bitmap.get_statistics()
        total += stats["n_bytes_array_containers"] + stats["n_bytes_bitset_containers"]
        total += stats["n_bytes_run_containers"]
    return total


def _joined(names: list[str]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    encoded = [name.encode("utf-8") for name in names]
    lengths = np.fromiter((len(t) + 1 for t in encoded), dtype=np.int64, count=len(encoded))
    return np.frombuffer(b"\n".join(encoded), dtype=np.uint8), np.cumsum(lengths) - lengths


class TextIndex:
    """Token bitmaps over row ids, plus an overlay of rows tested as text."""

    def __init__(self, haystacks: HaystackSource) -> None:
        self._haystacks = haystacks  # ids -> their haystacks, for checking candidates
        self._tokens: list[str] = []
        self._bitmaps: list[BitMap] = []
        self._by_hash: dict[int, int] = {}
        self._vocab: NDArray[np.uint8] | None = None  # b"\n".join(tokens), built lazily
        self._starts: NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._overlay: dict[int, str] = {}
        self._overlay_ids = BitMap()
        # Per ASCII punctuation or space character (a bit of `_MARK_VALUE`), the rows whose
        # haystack holds it: a term's such characters must all be there, a cheap first cut
        # for "c++" or "c#" before the text is checked. Bitmaps, not a uint64 a row: the
        # common marks (space, ".", ",") are dense bitmaps of 1 bit a row, the rest sparse
        # (measured at 1M rows: 8 MB as a column).
        self._mark_rows_of: list[BitMap] = [BitMap() for _ in range(64)]
        self._indexed = BitMap()  # rows in the bitmaps (not the overlay's)
        # Per distinct core with punctuation in it ("node.js", "c++", "e-commerce"), the
        # rows holding it: a term without spaces that holds punctuation is answered from
        # them exactly, with no text read (see `_base_term`); ~4 cores a row.
        self._cores: list[str] = []
        self._core_bitmaps: list[BitMap] = []
        self._core_by_hash: dict[int, int] = {}
        self._core_vocab: tuple[NDArray[np.uint8], NDArray[np.int64]] | None = None
        self._core_unindexed = BitMap()  # rows with a core too long to index: checked
        self._cache: OrderedDict[str, BitMap] = OrderedDict()  # base results by term
        self._checked: OrderedDict[str, BitMap] = OrderedDict()  # ... of the other terms

    # -- building ------------------------------------------------------------------------

    def add(self, ids: Sequence[int] | NDArray[Any], haystacks: Sequence[str]) -> None:
        """Index rows (ids never indexed before) in bulk; call per slice of thousands."""
        ids = np.asarray(ids, dtype=np.int64)
        for first in range(0, len(haystacks), _CHUNK):
            self._add(ids[first : first + _CHUNK], haystacks[first : first + _CHUNK])
        self._vocab = None
        self._core_vocab = None
        self.forget()

    def forget(self) -> None:
        """Remember no term's rows (they are found again when asked for)."""
        self._cache.clear()
        self._checked.clear()

    def _add(self, ids: NDArray[np.int64], haystacks: Sequence[str]) -> None:
        if len(haystacks) == 0:
            return
        text = "\n".join(haystacks)
        if text.count("\n") != len(haystacks) - 1:  # a haystack held a newline
            for i, hay in zip(ids.tolist(), haystacks, strict=True):
                if "\n" in hay:
                    self._put_overlay(i, hay)
            keep = [n for n, hay in enumerate(haystacks) if "\n" not in hay]
            self._add(ids[keep], [haystacks[n] for n in keep])
            return
        data = np.frombuffer(text.encode("utf-8"), dtype=np.uint8)
        newlines = np.flatnonzero(data == 10)
        self._mark_rows(ids, data, newlines)
        # A polynomial hash of each run, sum(byte * base**place in the run), from prefix
        # sums of byte * base**position (uint64 arithmetic wraps: mod 2**64), brought to
        # the run's start by the inverse power. Shared by the tokens and the cores.
        powers, inverses = _powers(len(data))
        prefix = np.zeros(len(data) + 1, dtype=np.uint64)
        np.cumsum(data * powers, out=prefix[1:])
        raw = data.tobytes()
        self._add_cores(ids, data, newlines, prefix, inverses, raw)
        word = _WORD[data]
        if not word.any():
            return
        starts, ends = _runs(word)
        lengths = ends - starts
        rows = np.searchsorted(newlines, starts)  # the slice's row of each run
        hashes = _hashes(prefix, inverses, starts, ends)
        del prefix
        long_runs = lengths > MAX_TOKEN
        if long_runs.any():
            long_rows = np.unique(rows[long_runs])
            for n in long_rows.tolist():
                self._put_overlay(int(ids[n]), haystacks[n])
            short = ~np.isin(rows, long_rows)
            hashes, starts, lengths = hashes[short], starts[short], lengths[short]
            rows = rows[short]
            if len(starts) == 0:
                return
        _gather(ids, rows, hashes, starts, lengths, raw, self._by_hash, self._bitmaps, self._tokens)

    def _add_cores(
        self,
        ids: NDArray[np.int64],
        data: NDArray[np.uint8],
        newlines: NDArray[np.int64],
        prefix: NDArray[np.uint64],
        inverses: NDArray[np.uint64],
        raw: bytes,
    ) -> None:
        """Index the slice's cores that hold punctuation and a letter ("node.js", "c++")."""
        # Only the spans around punctuation bytes are looked at (a few in a hundred
        # bytes): found from the positions of the punctuation and of the spaces.
        kind = _KIND[data]
        punct = np.flatnonzero(kind == _PUNCT)
        if len(punct) == 0:
            return
        spaces = np.concatenate(([-1], np.flatnonzero(kind == _BLANK), [len(data)]))
        digits = np.flatnonzero(kind == _DIGIT)
        del kind
        after = np.searchsorted(spaces, punct)
        starts, ends = spaces[after - 1] + 1, spaces[after]
        first = np.ones(len(starts), dtype=bool)
        first[1:] = starts[1:] != starts[:-1]
        starts, ends = starts[first], ends[first]
        # Strip the sentence punctuation at the edges, a byte a step: a core is a
        # substring of its span, and it holds every occurrence in the span of a term
        # that neither begins nor ends with such a byte. A longer edge stays: exact too.
        last = len(data) - 1
        for _ in range(_STRIP_STEPS):
            step = (starts < ends) & _EDGE[data[np.minimum(starts, last)]]
            if not step.any():
                break
            starts[step] += 1
        for _ in range(_STRIP_STEPS):
            step = (starts < ends) & _EDGE[data[np.maximum(ends - 1, 0)]]
            if not step.any():
                break
            ends[step] -= 1
        # Kept: punctuation left inside, and a letter (a byte neither punctuation nor a
        # digit nor "_": in a span every byte is one of the three).
        marks = np.searchsorted(punct, ends) - np.searchsorted(punct, starts)
        figures = np.searchsorted(digits, ends) - np.searchsorted(digits, starts)
        kept = (starts < ends) & (marks > 0) & (ends - starts - marks - figures > 0)
        starts, ends = starts[kept], ends[kept]
        if len(starts) == 0:
            return
        lengths = ends - starts
        rows = np.searchsorted(newlines, starts)
        long_cores = lengths > MAX_TOKEN
        if long_cores.any():  # a URL, say: its rows are checked against their text
            self._core_unindexed.update(
                array("I", ids[np.unique(rows[long_cores])].astype(np.uint32).tobytes())
            )
            short = ~long_cores
            starts, ends, lengths, rows = starts[short], ends[short], lengths[short], rows[short]
            if len(starts) == 0:
                return
        hashes = _hashes(prefix, inverses, starts, ends)
        by_hash, bitmaps, cores = self._core_by_hash, self._core_bitmaps, self._cores
        left_out = _gather(
            ids, rows, hashes, starts, lengths, raw, by_hash, bitmaps, cores, MAX_CORES
        )
        if left_out:
            self._core_unindexed.update(left_out)

    def finish(self) -> None:
        """The bulk load is over: compact the bitmaps."""
        for bitmap in (*self._bitmaps, *self._core_bitmaps, *self._mark_rows_of):
            bitmap.run_optimize()
            bitmap.shrink_to_fit()
        release_scratch()

    def set_row(self, i: int, haystack: str) -> None:
        """Row i is new or its text changed after the bulk load."""
        self._put_overlay(i, haystack)

    def _put_overlay(self, i: int, haystack: str) -> None:
        self._overlay[i] = haystack
        self._overlay_ids.add(i)

    @property
    def token_count(self) -> int:
        return len(self._tokens)

    @property
    def core_count(self) -> int:
        return len(self._cores)

    def memory_bytes(self) -> int:
        """The bitmaps' size (tokens' and cores'), for the benchmarks."""
        return _bitmap_bytes(self._bitmaps) + self.core_memory_bytes()

    def core_memory_bytes(self) -> int:
        """The cores' bitmaps' size, for the benchmarks."""
        return _bitmap_bytes([*self._core_bitmaps, self._core_unindexed])

    # -- querying ------------------------------------------------------------------------

    def evaluate(
        self, node: QueryNode, universe: BitMap, assume: Mapping[str, BitMap] | None = None
    ) -> BitMap:
        """The rows of `universe` whose haystack satisfies `node` (taking the rows of the
        terms in `assume` to be the ones given there)."""
        if isinstance(node, Term):
            given = None if assume is None else assume.get(node.text)
            return (self.term(node.text) if given is None else given) & universe
        if isinstance(node, Not):
            return universe - self.evaluate(node.operand, universe, assume)
        if isinstance(node, And):
            result = universe
            # Plain terms first (cheap, and they shrink the universe of what follows).
            for operand in sorted(node.operands, key=lambda n: not isinstance(n, Term)):
                result = self.evaluate(operand, result, assume)
                if not result:
                    break
            return result
        assert isinstance(node, Or)
        return BitMap.union(
            *(self.evaluate(operand, universe, assume) for operand in node.operands)
        )

    def split(self, term: str) -> tuple[BitMap, BitMap]:
        """What is known of `term` without reading text: (sure, unsure), the rows known to
        hold it and the candidates that may. Every other row does not hold it, and an
        unsure row holds it when its haystack (`texts`) contains it. Cheap (bitmaps and
        the overlay's few rows): for showing the first rows of a query whose whole answer
        (`compute`) reads the text of every candidate."""
        remembered = (self._cache if is_simple(term) else self._checked).get(term)
        if remembered is None and is_simple(term):
            remembered = self._base_term(term)
        if remembered is not None:
            sure, unsure = remembered, BitMap()
        else:
            sure, unsure = self._split(term)
        ids = self._overlay_ids
        if not ids:
            return sure, unsure
        return (sure - ids) | self.overlay_holding(term, ids), unsure - ids

    @property
    def overlay_ids(self) -> BitMap:
        """Rows tested as text (changed or added after the bulk load)."""
        return self._overlay_ids

    def overlay_holding(self, term: str, rows: BitMap) -> BitMap:
        """The overlay's rows among `rows` whose text contains `term`."""
        overlay = self._overlay
        return BitMap(i for i in rows & self._overlay_ids if term in overlay[i])

    def texts(self, ids: Sequence[int]) -> Sequence[str]:
        """The haystacks of rows `ids`, from the row source (a store read)."""
        return self._haystacks(ids)

    def slow_terms(self, node: QueryNode | None) -> list[str]:
        """The terms of `node` whose rows must be checked against their text (not words
        only) and are not remembered: what `compute` should find off the GUI thread."""
        found: list[str] = []

        def walk(part: QueryNode) -> None:
            if isinstance(part, Term):
                text = part.text
                if not is_simple(text) and text not in self._checked and text not in found:
                    found.append(text)
            elif isinstance(part, Not):
                walk(part.operand)
            else:
                for operand in part.operands:
                    walk(operand)

        if node is not None:
            walk(node)
        return found

    def compute(self, terms: Sequence[str]) -> dict[str, BitMap]:
        """The rows of each term, from the bulk-loaded bitmaps and the text: safe on a
        worker thread (it reads only what the bulk load built, and the row source).
        Hand the result to `remember` on the index's thread."""
        return {term: self._base_term(term) for term in terms}

    def remember(self, results: dict[str, BitMap]) -> None:
        for term, rows in results.items():
            self._keep(term, rows)

    def _keep(self, term: str, rows: BitMap) -> None:
        cache, size = (self._cache, _CACHE) if is_simple(term) else (self._checked, _CACHE_CHECKED)
        cache[term] = rows
        cache.move_to_end(term)
        while len(cache) > size:
            cache.popitem(last=False)

    def term(self, term: str) -> BitMap:
        """Every row whose haystack contains `term` (removed rows included)."""
        cache = self._cache if is_simple(term) else self._checked
        base = cache.get(term)
        if base is None:
            base = self._base_term(term)
        self._keep(term, base)
        if not self._overlay:
            return base
        extra = BitMap(i for i, hay in self._overlay.items() if term in hay)
        return (base - self._overlay_ids) | extra

    def _mark_rows(
        self, ids: NDArray[np.int64], data: NDArray[np.uint8], newlines: NDArray[np.int64]
    ) -> None:
        # One zero past the end: the last row may be empty (its segment starts there).
        bits = np.append(_MARK_VALUE[data], np.uint64(0))
        starts = np.concatenate(([0], newlines + 1))
        marks = np.bitwise_or.reduceat(bits, starts)
        del bits
        found = int(np.bitwise_or.reduce(marks))
        rows_of = self._mark_rows_of
        for bit in range(64):
            if found >> bit & 1:
                held = ids[(marks & np.uint64(1 << bit)) != 0]
                rows_of[bit].update(array("I", held.astype(np.uint32).tobytes()))
        self._indexed.update(array("I", ids.astype(np.uint32).tobytes()))

    def _marked(self, term: str) -> BitMap | None:
        """The bulk-loaded rows holding every punctuation character of `term`, or None
        when it has none (every row qualifies)."""
        need = 0
        for byte in term.encode("utf-8"):
            need |= int(_MARK_VALUE[byte])
        if not need:
            return None
        held = [rows for bit, rows in enumerate(self._mark_rows_of) if need >> bit & 1]
        # The sparsest first: each intersection is then no bigger than it.
        held.sort(key=len)
        found = held[0] & self._indexed
        for rows in held[1:]:
            found &= rows
        return found

    def _base_term(self, term: str) -> BitMap:
        if is_simple(term):
            return self._union(self._tokens_matching(term, True, True))
        sure, unsure = self._split(term)
        return sure | self._check(unsure, term) if unsure else sure

    def _split(self, term: str) -> tuple[BitMap, BitMap]:
        """(sure, unsure) of a term that is not simple, over the bulk-loaded rows: those
        known to hold it, and the candidates to check against their text."""
        # The term's pieces between spaces that hold punctuation: each lies in one span of
        # a row holding the term, so in one of its cores when the piece neither begins
        # nor ends with edge punctuation.
        held: BitMap | None = None
        for piece in _SPACE_RE.split(term):
            if not _cored(piece):
                continue
            rows = BitMap.union(BitMap(), *self._cores_holding(piece))
            if piece == term:  # the term is in a row's cores, or not there
                if not self._core_unindexed:
                    return rows, BitMap()
                return rows, (self._candidates(term) & self._core_unindexed) - rows
            rows |= self._core_unindexed
            held = rows if held is None else held & rows
            if not held:
                return BitMap(), BitMap()
        candidates = self._candidates(term)
        if held is not None:
            candidates &= held
        # Rows in the overlay are checked too (harmlessly: `term` replaces them), so this
        # reads nothing a change on the index's thread may be writing.
        return BitMap(), candidates

    def _candidates(self, term: str) -> BitMap:
        """The bulk-loaded rows that may hold `term` (not simple), by its word runs and
        its punctuation."""
        runs = word_runs(term)
        marked = self._marked(term)
        if not runs:
            candidates = marked if marked is not None else self._indexed.copy()
        else:
            found: BitMap | None = None
            for run, left_open, right_open in sorted(runs, key=lambda r: -len(r[0])):
                rows = self._union(self._tokens_matching(run, left_open, right_open))
                found = rows if found is None else found & rows
                if not found:
                    return BitMap()
            assert found is not None
            candidates = found if marked is None else found & marked
        return candidates

    def _check(self, candidates: BitMap, term: str) -> BitMap:
        found = BitMap()
        # The ids as one uint32 array, made into Python ints a chunk at a time: a phrase
        # has ~300k candidates at 1M rows, and as one list of ints they were 11 MB more
        # at the window's peak.
        ids = candidates.to_array()
        for first in range(0, len(ids), 2_000):
            chunk = ids[first : first + 2_000].tolist()
            found.update(
                i for i, hay in zip(chunk, self._haystacks(chunk), strict=True) if term in hay
            )
        return found

    def _union(self, token_ids: Iterable[int]) -> BitMap:
        bitmaps = self._bitmaps
        chosen = [bitmaps[t] for t in token_ids]
        if not chosen:
            return BitMap()
        if len(chosen) == 1:
            return chosen[0].copy()
        return BitMap.union(*chosen)

    def _tokens_matching(self, run: str, left_open: bool, right_open: bool) -> list[int]:
        """Token ids whose text contains `run` (ends with it when only the left is open,
        starts with it when only the right is, equals it when neither)."""
        if not left_open and not right_open:
            tid = self._find_exact(run)
            return [] if tid is None else [tid]
        vocab = self._vocabulary()
        return _holding(vocab, self._starts, run, left_open, right_open)

    def _cores_holding(self, piece: str) -> list[BitMap]:
        """The bitmaps of the cores that contain `piece`."""
        if self._core_vocab is None:
            self._core_vocab = _joined(self._cores)
        vocab, starts = self._core_vocab
        bitmaps = self._core_bitmaps
        return [bitmaps[c] for c in _holding(vocab, starts, piece)]

    def _find_exact(self, token: str) -> int | None:
        data = np.frombuffer(token.encode("utf-8"), dtype=np.uint8)
        if len(data) == 0 or len(data) > MAX_TOKEN:
            return None
        total = int(np.add.reduce(data.astype(np.uint64) * _POWERS[: len(data)], dtype=np.uint64))
        h = total ^ (len(data) * int(_LENGTH_MIX)) % 2**64  # as `_add` mixes the length in
        tid = self._by_hash.get(h)
        return tid if tid is not None and self._tokens[tid] == token else None

    def _vocabulary(self) -> NDArray[np.uint8]:
        if self._vocab is None:
            vocab, self._starts = _joined(self._tokens)
            self._vocab = vocab
        return self._vocab
