"""Reading the data files of ``skreg select``: CSV (pandas) and svmlight, optionally gzipped.

Both readers stream: CSV in row chunks of :func:`pandas.read_csv`, svmlight in
blocks of whole lines, so memory grows with the data kept, never with the size
of the file or with what it expands to. The data kept are counted as they are
read and the read stops with an :class:`InputError` once they exceed
``max_bytes`` (``--max-memory``).
"""

import codecs
import csv
import difflib
import gzip
import io
import os
import re
import warnings
import zlib
from typing import NamedTuple

import numpy as np

#: File name endings (after an optional ``.gz``) that ``select`` reads.
CSV_EXTENSIONS = (".csv",)
SVMLIGHT_EXTENSIONS = (".svm", ".svmlight", ".libsvm")
#: Delimiters a CSV file is sniffed for (without ``--sep``).
SNIFFED_DELIMITERS = ",;\t|"
#: Longest line (a CSV header, an svmlight sample) read before its end: longer is no such file.
MAX_LINE_CHARS = 64 * 2**20
#: Cells read as missing besides pandas' defaults ("", "NA", "NaN", "null", ...).
EXTRA_MISSING = ["?"]
#: Cells per pandas chunk (CSV) and bytes per block (svmlight).
_CSV_CHUNK_CELLS = 2**21
_SVM_BLOCK_BYTES = 2**23
#: The largest integer a float64 holds exactly.
_EXACT_FLOAT_INT = 2**53


class InputError(Exception):
    """A problem with the user's input: reported as one line on stderr, exit status 2."""


class Dataset(NamedTuple):
    """What :func:`read_dataset` returns.

    Attributes
    ----------
    X : ndarray, scipy.sparse.csr_matrix or pandas.DataFrame
        The features: float64 ndarray (numeric CSV without missing values),
        CSR (svmlight) or a DataFrame with ``categorical`` (text) columns
        and/or missing values (NaN) still to encode.
    y : ndarray of shape (n_samples,)
        Class labels as read: int64 when every label is an integer, else
        float64 when every label is a number, else str.
    names : list of str
        Feature names: the CSV header, or ``x<index in the file>`` for svmlight.
    categorical : list of str
        The text columns of a CSV file (to one-hot encode).
    missing : dict of str to int
        Number of missing values in each feature column that has any.
    notices : list of str
        What the reader changed (columns dropped, delimiter found), to print.
    """

    X: object
    y: np.ndarray
    names: list
    categorical: list
    missing: dict
    notices: list


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def escape(text):
    """``text`` with control and format characters shown as escapes (``\\x1b``, ``\\u202e``).

    Applied to everything printed, so that names read from a file cannot move
    the cursor, recolour or rewrite the terminal (ANSI escapes, bidirectional
    overrides) nor break the one-line error format.
    """
    text = str(text)
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        else:
            code = ord(ch)
            out.append(f"\\x{code:02x}" if code < 0x100 else
                       f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
    return "".join(out)


def preview(items, limit=8):
    """``a, b, c, ..., y, z (N in all)``: a short, escaped listing of possibly many names."""
    items = [escape(i) for i in items]
    if len(items) <= limit:
        return ", ".join(items)
    head, tail = items[: limit - 3], items[-3:]
    return ", ".join(head) + ", ..., " + ", ".join(tail) + f" ({len(items)} in all)"


def parse_size(text):
    """Bytes from ``"500M"``, ``"2G"``, ``"1.5GB"``, ``"100k"`` or a plain number of bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgt]?)i?b?\s*", str(text), re.I)
    if not match:
        raise InputError(
            f"--max-memory {text!r} is not a size (e.g. 500M, 2G, 1.5GB)"
        )
    power = " kmgt".index(match.group(2).lower() or " ")
    return int(float(match.group(1)) * 1024**power)


def format_size(n_bytes):
    for unit, power in (("GB", 3), ("MB", 2), ("kB", 1)):
        if n_bytes >= 1024**power:
            return f"{n_bytes / 1024**power:.3g} {unit}"
    return f"{n_bytes} bytes"


def default_memory_limit():
    """A quarter of the memory available now (the fit needs a few copies of the data).

    ``MemAvailable`` from ``/proc/meminfo`` on Linux, else the physical memory;
    None (no limit) where neither is known.
    """
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 4
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4
    except (AttributeError, ValueError, OSError):
        return None


class _Budget:
    """Counts the bytes kept while reading; InputError once they exceed the limit."""

    def __init__(self, path, max_bytes):
        self.path, self.max_bytes, self.used = path, max_bytes, 0

    def add(self, n_bytes, what):
        self.used += int(n_bytes)
        if self.max_bytes is not None and self.used > self.max_bytes:
            raise InputError(
                f"{self.path}: the data read so far ({what}) take more than the memory limit "
                f"of {format_size(self.max_bytes)} (by default a quarter of the memory "
                f"available; --max-memory SIZE sets it)"
            )


def file_kind(path):
    """``"csv"`` or ``"svmlight"`` from the file name (``.gz`` allowed), else InputError."""
    name = os.path.basename(path).lower()
    name = name.removesuffix(".gz")
    ext = os.path.splitext(name)[1]
    if ext in CSV_EXTENSIONS:
        return "csv"
    if ext in SVMLIGHT_EXTENSIONS:
        return "svmlight"
    known = ", ".join(CSV_EXTENSIONS + SVMLIGHT_EXTENSIONS)
    raise InputError(
        f"{escape(path)}: unknown file type {ext or '(no extension)'!r}; expected one "
        f"of {known} (optionally gzipped, ending in .gz)"
    )


def _labels_from_column(path, target, column):
    """Class labels from the target column as pandas parsed it (integers exactly, as int64)."""
    n_missing = int(column.isna().sum())
    if n_missing:
        raise InputError(
            f"{escape(path)}: the target column {target!r} has {n_missing} missing values"
        )
    kind = getattr(column.dtype, "kind", "O")
    if kind in "iub":
        return column.to_numpy()
    if kind == "f":
        values = column.to_numpy()
        whole = np.all(values == np.round(values))
        if whole and np.all(np.abs(values) < _EXACT_FLOAT_INT):
            return values.astype(np.int64)
        if whole:
            raise InputError(
                f"{escape(path)}: the target column {target!r} holds whole numbers "
                "beyond 2**53 written as floats, which float64 cannot keep apart: write them "
                "as integers (no decimal point)"
            )
        return values
    # Text, or numbers and text from chunks of different types.
    return parse_labels(column.astype(str).to_numpy(dtype=object))


def _is_gzip(path):
    return path.lower().endswith(".gz")


def _first_line(exc):
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_labels(values):
    """Class labels as read, never through float64 when they are integers.

    Returns int64 when every label is an integer (exactly, so that 64-bit IDs
    stay distinct), else int64 when every label is a whole number below
    2**53 written as a float (``1.0``), else float64 when every label is a
    number, else the stripped strings.
    """
    values = np.asarray(values)
    if values.dtype.kind == "S":
        values = np.char.decode(values, "utf-8", errors="replace")
    text = np.char.strip(values.astype(str))
    try:
        return text.astype(np.int64)
    except (ValueError, OverflowError):
        pass
    try:
        numeric = text.astype(np.float64)
    except ValueError:
        return text
    whole = np.isfinite(numeric) & (numeric == np.round(numeric))
    if np.all(whole) and np.all(np.abs(numeric) < _EXACT_FLOAT_INT):
        return numeric.astype(np.int64)
    if np.all(whole):  # integers beyond int64 (or written as floats beyond 2**53)
        return text
    return numeric


# ---------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------


def _codec(encoding):
    """The codec to read with: UTF-8 skips a byte-order mark (Excel writes one)."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"--encoding {encoding!r}: unknown encoding") from None
    return "utf-8-sig" if name == "utf-8" else encoding


def _open_text(path, encoding):
    if _is_gzip(path):
        return gzip.open(path, "rt", encoding=encoding, newline="")
    return open(path, encoding=encoding, newline="")


def _decode_error(path, encoding, exc):
    where = ""
    if isinstance(exc, UnicodeDecodeError):
        where = f" (byte 0x{exc.object[exc.start]:02x})"
    utf8 = codecs.lookup(encoding).name in ("utf-8", "utf-8-sig")
    hint = ("name its encoding, e.g. --encoding latin-1 (or cp1252, utf-16)" if utf8
            else "try another --encoding")
    return InputError(f"{escape(path)} is not valid {'utf-8' if utf8 else escape(encoding)} "
                      f"text{where}: {hint}")


def _read_head(path, encoding):
    """The file's first non-blank line and about 1 MB (at least 20 lines) after it, whole lines.

    Leading blank lines are dropped as they stream by (a file of blank lines
    costs time, not memory); a first line longer than MAX_LINE_CHARS, or NUL
    characters (binary data, or UTF-16 read as UTF-8), are an InputError.
    """
    head, complete = "", False
    try:
        with _open_text(path, encoding) as f:
            while True:
                piece = f.read(2**20)
                if not piece:
                    complete = True
                    break
                if "\x00" in piece:
                    raise InputError(
                        f"{escape(path)}: NUL characters in the text: not a CSV file in "
                        f"{escape(encoding)} (binary data? UTF-16 needs --encoding utf-16)"
                    )
                if not head:
                    # Drop whole blank lines (str.lstrip: a regex takes minutes on 1 GB of
                    # them), not the leading tab of a header whose first name is empty.
                    blank = piece[: len(piece) - len(piece.lstrip(" \t\r\n"))]
                    piece = piece[blank.rfind("\n") + 1:]
                head += piece
                newline = head.find("\n")
                if newline < 0:
                    if len(head) > MAX_LINE_CHARS:
                        raise InputError(
                            f"{escape(path)}: the first line is longer than "
                            f"{format_size(MAX_LINE_CHARS)}: not a CSV header"
                        )
                elif len(head) > newline + 2**20 and head.count("\n") > 20:
                    break
                elif len(head) > newline + 2**22:  # a few long lines
                    break
    except UnicodeError as exc:
        raise _decode_error(path, encoding, exc) from None
    except LookupError:
        raise InputError(f"--encoding {encoding!r}: unknown encoding") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"cannot read {escape(path)} as CSV: {escape(_first_line(exc))}") from None
    return head if complete else head[: head.rfind("\n") + 1]


def _sniff_delimiter(head):
    """The delimiter among SNIFFED_DELIMITERS by csv.Sniffer, "," when it cannot tell.

    The sample is the first 20 non-blank lines, as many as fit in 256 kB (at
    least the header, cut to 256 kB): the sniffer's cost grows with it.
    """
    sample, size = [], 0
    for line in head.splitlines():
        if not line.strip():
            continue
        if sample and (len(sample) >= 20 or size + len(line) > 2**18):
            break
        sample.append(line[: 2**18])
        size += len(sample[-1])
    try:
        return csv.Sniffer().sniff("\n".join(sample), delimiters=SNIFFED_DELIMITERS).delimiter
    except csv.Error:
        return ","


_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+(?:[eE][+-]?\d+)?")


def _uses_decimal_comma(rows):
    """Whether the data rows of a ';'-separated file write numbers with a decimal comma."""
    cells = [c.strip() for row in rows[1:] for c in row]
    return any(_DECIMAL_COMMA.fullmatch(c) for c in cells)


def _column_names(raw):
    """Stripped header names; empty ones as pandas names them, duplicates numbered (x, x.1)."""
    names, seen, renamed = [], {}, []
    for j, name in enumerate(raw):
        name = name.strip() or f"Unnamed: {j}"
        base, k = name, seen.get(name, 0)
        while name in seen:
            k += 1
            name = f"{base}.{k}"
        seen[base] = k
        seen[name] = 0
        if name != base:
            renamed.append(f"{escape(base)} -> {escape(name)}")
        names.append(name)
    return names, renamed


def _missing_target_error(path, target, names):
    close = difflib.get_close_matches(target, names, n=1)
    folded = [h for h in names if h.lower() == target.lower()]
    hint = f" (did you mean {(folded or close)[0]!r}?)" if folded or close else ""
    return InputError(
        f"{escape(path)}: no column named {target!r}{hint}; columns: {preview(names)}"
    )


def _parser_error(path, exc):
    text = _first_line(exc)
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if match:
        expected, line, saw = match.groups()
        return InputError(
            f"{escape(path)}: line {line} has {saw} fields but the header has {expected} "
            f"(a delimiter inside an unquoted value? --sep sets the delimiter)"
        )
    return InputError(f"cannot read {escape(path)} as CSV: {escape(text)}")


def _kinds(frame):
    """numpy's kind letter of each column's dtype ("O" for text and other extension dtypes)."""
    return np.array([getattr(dtype, "kind", "O") for dtype in frame.dtypes])


def _frame_bytes(frame):
    """Memory of a DataFrame's values: 8 bytes a number, the strings' own size for text."""
    kinds = _kinds(frame)
    text = np.flatnonzero(~np.isin(kinds, list("biuf")))
    return 8 * len(frame) * (len(kinds) - len(text)) + sum(
        int(frame.iloc[:, j].memory_usage(deep=True, index=False)) for j in text)


def _read_csv_chunks(path, names, sep, decimal, encoding, budget):
    """The file's rows as a list of DataFrames (row chunks), counted against ``budget``."""
    import pandas as pd

    chunksize = max(1, _CSV_CHUNK_CELLS // len(names))
    chunks, n_rows = [], 0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas' ParserWarning / DtypeWarning
            reader = pd.read_csv(
                path, sep=sep, decimal=decimal, encoding=encoding, header=0, names=names,
                na_values=EXTRA_MISSING, engine="c", skip_blank_lines=True, chunksize=chunksize,
            )
            with reader:
                for chunk in reader:
                    n_rows += len(chunk)
                    budget.add(_frame_bytes(chunk), f"{n_rows} rows x {len(names)} columns")
                    chunks.append(chunk)
    except InputError:
        raise
    except UnicodeError as exc:
        raise _decode_error(path, encoding, exc) from None
    except pd.errors.EmptyDataError:
        chunks = []
    except pd.errors.ParserError as exc:
        raise _parser_error(path, exc) from None
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise InputError(f"cannot read {escape(path)} as CSV: {escape(_first_line(exc))}") from None
    if n_rows == 0:
        raise InputError(f"{escape(path)}: the file has a header but no data rows")
    return chunks


def _column(chunks, j):
    """Column ``j`` of all the chunks, as one Series."""
    import pandas as pd

    if len(chunks) == 1:
        return chunks[0].iloc[:, j]
    return pd.concat([chunk.iloc[:, j] for chunk in chunks], ignore_index=True)


def _numeric_matrix(chunks, positions):
    """The columns at ``positions`` as one float64 array, each chunk freed once copied.

    No DataFrame of the whole file is ever built: the peak is the array plus
    the chunks not yet copied, not twice the data as with a concatenation.
    """
    n_rows = sum(len(chunk) for chunk in chunks)
    values = np.empty((n_rows, len(positions)), order="F")
    start = 0
    for i in range(len(chunks)):
        chunk, chunks[i] = chunks[i], None
        if np.isin(_kinds(chunk), list("biuf")).all():
            # One pass over the chunk's blocks (selecting columns first costs one per column).
            values[start:start + len(chunk)] = chunk.to_numpy(dtype=np.float64)[:, positions]
        else:
            values[start:start + len(chunk)] = chunk.iloc[:, positions].to_numpy(np.float64)
        start += len(chunk)
        del chunk
    return values


def _row_index_kind(column):
    """How a first column with an empty header looks like an index, or None.

    ``DataFrame.to_csv()`` writes the index unnamed (0..n-1, or the rows' old
    numbers after shuffling or sampling), R's ``write.csv`` the row names
    (1..n or text): distinct integers or distinct text in every row.
    """
    if column.isna().any() or not column.is_unique:
        return None
    values = column.to_numpy()
    if values.dtype.kind in "iu":
        for start in (0, 1):
            if np.array_equal(values, np.arange(start, start + values.size)):
                return f"the row numbers {start}..{values.size - 1 + start}"
        return "distinct integers (row numbers)"
    if values.dtype.kind in "fcb":
        return None
    return "distinct text (row names)"


def _read_csv(path, target, *, sep=None, encoding="utf-8", decimal=None, drop=(),
              max_bytes=None):
    import pandas as pd

    encoding = _codec(encoding)
    head = _read_head(path, encoding)
    if not head.strip():
        raise InputError(f"{escape(path)}: the file is empty (expected a header row, then data rows)")
    notices = []
    if sep is None:
        sep = _sniff_delimiter(head)
        if sep != ",":
            notices.append(f"columns separated by {sep!r} (detected; --sep sets it)")
    rows = []
    for row in csv.reader(io.StringIO(head), delimiter=sep):
        if row and any(cell.strip() for cell in row):
            rows.append(row)
            if len(rows) > 20:
                break
    if decimal is None:
        decimal = "," if sep == ";" and _uses_decimal_comma(rows[:20]) else "."
        if decimal == ",":
            notices.append("numbers with a decimal comma (detected; --decimal sets it)")
    names, renamed = _column_names(rows[0])
    if renamed:
        notices.append(f"duplicate column names renamed: {preview(renamed, 4)}")
    if target is None:
        raise InputError(
            f"{escape(path)}: a CSV file needs --target COLUMN naming the class column "
            f"(columns: {preview(names)})"
        )
    if target not in names:
        raise _missing_target_error(path, target, names)
    if [name.strip() for name in rows[0]].count(target) > 1:
        raise InputError(
            f"{escape(path)}: {[n.strip() for n in rows[0]].count(target)} columns are named "
            f"{target!r}"
        )
    for name in drop:
        if name not in names:
            raise _missing_target_error(path, name, names)
        if name == target:
            raise InputError(f"--drop {name!r} is the target column")
    usecols = [name for name in names if name not in drop]
    if len(usecols) < 2:
        raise InputError(
            f"{escape(path)}: no feature columns besides the target {target!r}"
        )

    budget = _Budget(path, max_bytes)
    # All columns are parsed (pandas skips the field-count check of every row when
    # given usecols); --drop leaves columns out afterwards.
    chunks = _read_csv_chunks(path, names, sep, decimal, encoding, budget)
    is_number = np.all([np.isin(_kinds(chunk), list("biuf")) for chunk in chunks], axis=0)
    t = names.index(target)
    y = _labels_from_column(path, target, _column(chunks, t))
    features = [j for j, name in enumerate(names) if j != t and name not in drop]
    if features[0] == 0 and names[0].startswith("Unnamed: "):
        kind = _row_index_kind(_column(chunks, 0))
        if kind:
            features.pop(0)
            notices.append(
                f"dropped the first column: no name and {kind}, an index as "
                f"DataFrame.to_csv() writes it, not a feature (--drop leaves out others)"
            )
    text = {names[j]: _column(chunks, j) for j in features if not is_number[j]}
    numeric = [j for j in features if is_number[j]]
    values = _numeric_matrix(chunks, numeric)
    return _typed_features(path, values, [names[j] for j in numeric], text, y, notices)


def _typed_features(path, values, numeric, text_columns, y, notices):
    """Check the features; sort the text columns into numbers and categories; count missing.

    Returns the float64 array when every column is numeric and complete, else
    a DataFrame of the numeric columns (NaN where missing) and the text ones.
    """
    import pandas as pd

    numbers_with_text = []
    for name, column in list(text_columns.items()):
        text = column.dropna().astype(str).str.strip()
        if text.empty:
            text_columns[name] = None  # empty: dropped below
            continue
        as_number = pd.to_numeric(text, errors="coerce")
        bad = text[as_number.isna()]
        if bad.empty:  # numbers pandas left as text (chunks of mixed types)
            values = np.column_stack([values, as_number.reindex(column.index).to_numpy(float)])
            numeric.append(name)
            del text_columns[name]
            continue
        if len(bad) <= 0.1 * len(text):
            # Mostly numbers: a typo or an unknown missing-value code, not categories.
            numbers_with_text.append(f"{escape(name)} ({len(bad)} of {len(text)}, e.g. "
                                     f"{bad.iloc[0][:20]!r})")
            continue
        if len(text) > 20 and text.nunique() == len(column):
            raise InputError(
                f"{escape(path)}: the text column {name!r} holds a different value in "
                f"every row (an identifier?): leave it out with --drop {name!r}"
            )
        text_columns[name] = column.to_numpy(dtype=object)
    if numbers_with_text:
        raise InputError(
            f"{escape(path)}: numeric columns with a few text values: "
            f"{preview(numbers_with_text, 3)}; fix them, or write missing values as empty "
            f"cells or NA"
        )
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        cols = [numeric[k] for k in np.flatnonzero(infinite)]
        raise InputError(f"{escape(path)}: infinite values in feature columns: {preview(cols, 5)}")
    n_missing = np.isnan(values).sum(axis=0)
    empty = [name for name, n in zip(numeric, n_missing) if n == len(y)]
    empty += [name for name, column in text_columns.items() if column is None]
    if empty:
        notices.append(f"dropped {len(empty)} empty columns: {preview(empty, 5)}")
        keep = n_missing < len(y)
        values, n_missing = values[:, keep], n_missing[keep]
        numeric = [name for name, kept in zip(numeric, keep) if kept]
        text_columns = {k: v for k, v in text_columns.items() if v is not None}
    if not numeric and not text_columns:
        raise InputError(f"{escape(path)}: no feature column holds any value")
    missing = {name: int(n) for name, n in zip(numeric, n_missing) if n}
    for name, column in text_columns.items():
        if pd.isna(column).any():
            missing[name] = int(pd.isna(column).sum())
    names = numeric + list(text_columns)
    if not text_columns and not missing:
        return Dataset(values, y, names, [], {}, notices)
    table = pd.DataFrame(values, columns=numeric, copy=False)
    for name, column in text_columns.items():
        table[name] = pd.Series(column, dtype=object).where(pd.notna(column), np.nan)
    return Dataset(table, y, names, list(text_columns), missing, notices)


# ---------------------------------------------------------------------------
# svmlight
# ---------------------------------------------------------------------------

#: The label of each data line: its first token (not a comment, not blank).
_SVM_LABEL = re.compile(rb"(?m)^[ \t]*([^\s#]+)")
_BLANK_LINES = re.compile(rb"(?m)^[ \t\r]*\n")


def _svmlight_blocks(path):
    """Blocks of whole lines (bytes), blank lines removed; InputError on binary data."""
    opener = gzip.open if _is_gzip(path) else open
    pending = b""
    with opener(path, "rb") as f:
        while True:
            piece = f.read(_SVM_BLOCK_BYTES)
            if b"\x00" in piece:
                raise InputError(f"{escape(path)}: NUL bytes in the file: binary data, not "
                                 "svmlight text")
            data = pending + piece
            if not piece:
                if data.strip():
                    yield data + b"\n"
                return
            cut = data.rfind(b"\n") + 1
            pending = data[cut:]
            if len(pending) > MAX_LINE_CHARS:
                raise InputError(f"{escape(path)}: a line longer than "
                                 f"{format_size(MAX_LINE_CHARS)}: not an svmlight file")
            block = data[:cut]
            if block.strip():  # a block of blank lines costs one scan, no parsing
                yield _BLANK_LINES.sub(b"", block)


def _read_svmlight(path, max_bytes=None):
    """Read an svmlight / libsvm file into CSR, keeping only the columns that occur.

    Features are named ``x<index in the file>``; an index that never occurs
    takes no memory (one stray ``1000000000:1`` adds one column, not 1e9).
    """
    import scipy.sparse as sp
    from sklearn.datasets import load_svmlight_file

    budget = _Budget(path, max_bytes)
    data, indices, indptr, labels = [], [], [np.zeros(1, dtype=np.int64)], []
    n_rows = nnz = 0
    try:
        for block in _svmlight_blocks(path):
            X, _ = load_svmlight_file(io.BytesIO(block), zero_based=True)
            tokens = np.array(_SVM_LABEL.findall(block))
            if tokens.shape[0] != X.shape[0]:
                raise InputError(f"cannot read {escape(path)} as svmlight: a label is not at "
                                 "the start of every data line")
            data.append(X.data)
            indices.append(X.indices.astype(np.int64, copy=False))
            indptr.append(X.indptr[1:].astype(np.int64) + nnz)
            labels.append(tokens)
            n_rows += X.shape[0]
            nnz += X.nnz
            budget.add(X.data.nbytes + 8 * X.nnz + 8 * X.shape[0] + tokens.nbytes,
                       f"{n_rows} rows, {nnz} stored values")
    except InputError:
        raise
    except (OSError, EOFError, ValueError, UnicodeDecodeError, zlib.error) as exc:
        raise InputError(f"cannot read {escape(path)} as svmlight: {escape(_first_line(exc))}") from None
    if n_rows == 0:
        raise InputError(f"{escape(path)}: no samples in the file")
    indices = np.concatenate(indices)
    # Only the columns that occur: their file indices name them.
    used, columns = np.unique(indices, return_inverse=True)
    del indices
    index_dtype = np.int32 if nnz < 2**31 else np.int64
    X = sp.csr_matrix((np.concatenate(data), columns.astype(index_dtype),
                       np.concatenate(indptr).astype(index_dtype)), shape=(n_rows, used.size))
    del data, columns
    y = parse_labels(np.concatenate(labels))
    notices = []
    if used.size and used[-1] - used[0] + 1 != used.size:
        notices.append(f"{used.size} distinct feature indices occur in the file, from "
                       f"x{used[0]} to x{used[-1]}: the others hold no value and are no column")
    return Dataset(X, y, [f"x{j}" for j in used], [], {}, notices)


# ---------------------------------------------------------------------------
# entry point
# ---------------------------------------------------------------------------


def read_dataset(path, target=None, *, sep=None, encoding="utf-8", decimal=None, drop=(),
                 max_bytes=None):
    """Read ``path`` (CSV or svmlight, optionally gzipped).

    Parameters
    ----------
    path : str
        The data file; its name ends in .csv, .svm, .svmlight or .libsvm,
        optionally followed by .gz.
    target : str, default=None
        Name of the class column (CSV files; required there).
    sep : str, default=None
        CSV delimiter; None sniffs it among ``, ; tab |``.
    encoding : str, default="utf-8"
        Text encoding of a CSV file (a UTF-8 byte-order mark is skipped).
    decimal : {".", ","}, default=None
        Decimal mark of a CSV file; None: "," for a ';'-separated file whose
        numbers have a decimal comma, else ".".
    drop : sequence of str, default=()
        CSV columns to leave out.
    max_bytes : int, default=None
        Stop with an InputError once the data kept take more memory.

    Returns
    -------
    Dataset
    """
    if not os.path.exists(path):
        raise InputError(f"{escape(path)}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{escape(path)}: is a directory, not a data file")
    kind = file_kind(path)
    if kind == "csv":
        return _read_csv(path, target, sep=sep, encoding=encoding, decimal=decimal, drop=drop,
                         max_bytes=max_bytes)
    if target is not None or drop:
        raise InputError(
            f"{escape(path)}: --target and --drop apply to CSV files only (an svmlight file "
            f"holds its labels in the first field of each line)"
        )
    return _read_svmlight(path, max_bytes)
