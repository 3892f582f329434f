"""Text encodings of the files a committee has: UTF-8 (with or without BOM), GBK/GB18030, Big5."""

from __future__ import annotations


def _common_share(text: str, enc: str) -> float:
    """Share of the non-ASCII characters that are among the common hanzi of ``enc``."""
    chars = [ch for ch in text if ord(ch) > 127]
    if not chars:
        return 1.0
    common = 0
    for ch in chars:
        try:
            b = ch.encode("gb2312" if enc == "gb18030" else "big5")
        except UnicodeError:
            continue
        lead = b[0] if len(b) == 2 else 0
        common += (0xB0 <= lead <= 0xD7) if enc == "gb18030" else (0xA4 <= lead <= 0xC6)
    return common / len(chars)


def detect_encoding(raw: bytes) -> str:
    """utf-8-sig, utf-8, gb18030 (a superset of GBK) or big5, by what decodes and reads as
    common Chinese characters.

    >>> detect_encoding("宗地编号".encode("gbk")), detect_encoding("宗地編號".encode("big5"))
    ('gb18030', 'big5')
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    try:
        raw.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            return "utf-8"  # a sample cut inside a character
    sample = raw[: 1 << 16]
    gb = sample.decode("gb18030", errors="ignore")
    try:
        big5 = sample.decode("big5")
    except UnicodeDecodeError as exc:
        cut = len(sample) < len(raw) and exc.start >= len(sample) - 1  # a character cut in two
        if not cut:
            return "gb18030"
        big5 = sample[: exc.start].decode("big5")
    if _common_share(big5, "big5") > _common_share(gb, "gb18030") + 0.2:
        return "big5"
    return "gb18030"


def decode_text(raw: bytes) -> tuple[str, str]:
    """Text and encoding of a text file; :class:`UnicodeError` when no encoding fits.

    UTF-8 without a BOM, the common case, is decoded once (not once to detect it and again
    to read it).

    >>> decode_text("宗地".encode()), decode_text("宗地".encode("gbk"))
    (('宗地', 'utf-8'), ('宗地', 'gb18030'))
    """
    if not raw.startswith(b"\xef\xbb\xbf"):
        try:
            return raw.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass  # another encoding, or a broken file: detected and explained below
    enc = detect_encoding(raw)
    try:
        return raw.decode(enc), enc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise UnicodeError(f"第 {line} 行有无法识别的字节(不是 UTF-8、GBK 或 Big5 编码)") from exc
