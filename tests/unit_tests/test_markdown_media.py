"""Tests for `langchain_hiapi._markdown_media`: data-URI splitting (batch and streamed)."""

from __future__ import annotations

import base64
import itertools
import random
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_hiapi._markdown_media import DataURIPart, DataURIStreamSplitter, split_data_uris

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(40))
PNG_B64 = base64.b64encode(PNG).decode()
JPEG_B64 = base64.b64encode(JPEG).decode()

Segments = list[str | DataURIPart]

# An independent oracle: the grammar as one backtracking regex (fine for small inputs).
_MIME = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
ORACLE = re.compile(
    rf"(!?)\[([^\[\]\n\r]{{0,999}})\]\(data:({_MIME}/{_MIME});base64,([A-Za-z0-9+/=]+)\)"
)
TRUNCATED_TAIL = re.compile(
    rf"!?\[[^\[\]\n\r]{{0,999}}\]\(data:{_MIME}/{_MIME};base64,[A-Za-z0-9+/=]*\Z"
)


def oracle_split(text: str) -> Segments:
    out: Segments = []
    last = 0
    for match in ORACLE.finditer(text):
        if match.start() > last:
            out.append(text[last : match.start()])
        out.append(
            DataURIPart(
                mime_type=match.group(3).lower(),
                base64=match.group(4),
                alt=match.group(2),
                is_image=bool(match.group(1)),
            )
        )
        last = match.end()
    if last < len(text):
        out.append(text[last:])
    return out


def normalize(segments: Segments) -> Segments:
    """Joins adjacent text segments and drops empty ones."""
    out: Segments = []
    for segment in segments:
        if isinstance(segment, str):
            if not segment:
                continue
            if out and isinstance(out[-1], str):
                out[-1] += segment
                continue
        out.append(segment)
    return out


def stream(pieces: list[str]) -> Segments:
    splitter = DataURIStreamSplitter()
    out: Segments = []
    for piece in pieces:
        out.extend(splitter.feed(piece))
    out.extend(splitter.flush())
    return out


def image(payload: str = PNG_B64, mime: str = "image/png", alt: str = "image") -> str:
    return f"![{alt}](data:{mime};base64,{payload})"


# ----------------------------------------------------------------------------- batch


def test_plain_text_is_one_segment() -> None:
    assert split_data_uris("just text [with] (brackets)!") == ["just text [with] (brackets)!"]
    assert split_data_uris("") == []


def test_contract_example() -> None:
    text = "Here is your cat\n" + image()
    assert split_data_uris(text) == [
        "Here is your cat\n",
        DataURIPart(mime_type="image/png", base64=PNG_B64, alt="image", is_image=True),
    ]


def test_media_link_and_several_parts_in_order() -> None:
    wav = base64.b64encode(b"RIFF....WAVE").decode()
    text = (
        image(JPEG_B64, "image/jpeg")
        + image()
        + "\nbetween\n"
        + f"[media](data:audio/wav;base64,{wav})"
        + " tail"
    )
    assert split_data_uris(text) == [
        DataURIPart("image/jpeg", JPEG_B64, "image", True),
        DataURIPart("image/png", PNG_B64, "image", True),
        "\nbetween\n",
        DataURIPart("audio/wav", wav, "media", False),
        " tail",
    ]


def test_mime_type_is_lower_cased_and_any_mime_is_accepted() -> None:
    parts = split_data_uris(
        "![x](data:Image/PNG;base64,AAAA)[doc](data:application/pdf;base64,JVBE)"
        "![v](data:image/svg+xml;base64,PHN2Zz4=)"
    )
    assert [p.mime_type for p in parts if isinstance(p, DataURIPart)] == [
        "image/png",
        "application/pdf",
        "image/svg+xml",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "![x](https://example.com/a.png)",
        "![x](data:text)",
        "![x](data:image/png;base64,)",
        "![x](data:image/png,AAAA)",
        "![x](data:image/png;base64,AA AA)",
        "![x](data:image/png;base64,AA\nAA)",
        "![x](data:image/png;base64,AA-_)",
        "![x](data:image/png;base64,AAAA",
        "![x](data:image;base64,AAAA)",
        "![x](data:/png;base64,AAAA)",
        "![x](data:.image/png;base64,AAAA)",
        "![a\nb](data:image/png;base64,AAAA)",
        "![a]b](data:image/png;base64,AAAA)",
        "![x] (data:image/png;base64,AAAA)",
        "![x](DATA:image/png;base64,AAAA)",
        "![" + "a" * 1000 + "](data:image/png;base64,AAAA)",
        "![x](data:" + "a" * 128 + "/png;base64,AAAA)",
    ],
)
def test_lookalikes_stay_text(text: str) -> None:
    assert split_data_uris(text) == [text]
    if TRUNCATED_TAIL.search(text):
        # Streamed, a payload without its `)` is a truncated image, not text.
        with pytest.raises(ValueError, match=r"truncated image data"):
            stream(list(text))
    else:
        assert normalize(stream(list(text))) == [text]


def test_limits_are_inclusive() -> None:
    alt = "a" * 999
    token = "b" * 127
    text = f"![{alt}](data:{token}/{token};base64,AAAA)"
    assert split_data_uris(text) == [DataURIPart(f"{token}/{token}", "AAAA", alt, True)]


def test_bang_inside_a_failed_candidate_starts_the_image() -> None:
    text = "[a" + image(alt="b")
    assert split_data_uris(text) == ["[a", DataURIPart("image/png", PNG_B64, "b", True)]
    text = "[a!" + image(alt="b")
    assert split_data_uris(text) == ["[a!", DataURIPart("image/png", PNG_B64, "b", True)]
    text = "[x ![a](data:image/png;base64,AAAA)"
    assert split_data_uris(text) == ["[x ", DataURIPart("image/png", "AAAA", "a", True)]
    text = "!" + image()  # `!![image](...)`: only the last `!` belongs to the image
    assert split_data_uris(text) == ["!", DataURIPart("image/png", PNG_B64, "image", True)]


def test_round_trip_rebuilds_the_text() -> None:
    text = "a [b] c\n" + image() + "\n" + "[m](data:video/mp4;base64,AAAA)" + "!end["
    rebuilt = ""
    for segment in split_data_uris(text):
        if isinstance(segment, str):
            rebuilt += segment
        else:
            bang = "!" if segment.is_image else ""
            rebuilt += f"{bang}[{segment.alt}](data:{segment.mime_type};base64,{segment.base64})"
    assert rebuilt == text


def test_repr_never_shows_the_payload() -> None:
    part = DataURIPart("image/png", "QUJD" * 1000, "image", True)
    assert "QUJD" not in repr(part)
    assert "4000 chars" in repr(part)


# ----------------------------------------------------------------------------- streaming


def test_stream_emits_prose_immediately_and_holds_a_possible_start() -> None:
    splitter = DataURIStreamSplitter()
    assert splitter.feed("Here is your cat\n") == ["Here is your cat\n"]
    assert not splitter.holding
    assert splitter.feed("!") == []
    assert splitter.holding
    assert splitter.feed("[image") == []
    assert splitter.feed("](da") == []
    assert splitter.feed("ta:image/png;base64,") == []
    assert splitter.feed(PNG_B64[:10]) == []
    assert splitter.feed(PNG_B64[10:] + ")") == [DataURIPart("image/png", PNG_B64, "image", True)]
    assert not splitter.holding
    assert splitter.feed(" done") == [" done"]
    assert splitter.flush() == []


def test_stream_releases_lookalikes_as_soon_as_they_fail() -> None:
    splitter = DataURIStreamSplitter()
    assert splitter.feed("see ![x](https://example.com") == ["see ![x](https://example.com"]
    assert splitter.feed("hello [world] and (x)") == ["hello [world] and (x)"]
    assert splitter.feed("a\n![image](data:image/png;base64,AAAA BBBB") == [
        "a\n![image](data:image/png;base64,AAAA BBBB"
    ]
    assert splitter.feed("see [") == ["see "]
    assert splitter.feed("x\n") == ["[x\n"]


def test_stream_bang_split_from_bracket() -> None:
    splitter = DataURIStreamSplitter()
    assert splitter.feed("[a!") == []
    out = splitter.feed("[b](data:image/png;base64,AAAA)")
    assert out == ["[a", DataURIPart("image/png", "AAAA", "b", True)]
    assert splitter.feed("wow!") == ["wow"]
    assert splitter.feed("!") == ["!"]
    assert splitter.flush() == ["!"]


def test_flush_returns_an_unfinished_header_as_text() -> None:
    splitter = DataURIStreamSplitter()
    assert splitter.feed("end ![image](data:image/pn") == ["end "]
    assert splitter.flush() == ["![image](data:image/pn"]
    # The splitter is reusable after flush.
    assert splitter.feed("again") == ["again"]


def test_flush_raises_on_truncated_image_data() -> None:
    splitter = DataURIStreamSplitter()
    assert splitter.feed("cat\n![image](data:image/jpeg;base64,/9j/4AAQ") == ["cat\n"]
    with pytest.raises(ValueError, match=r"truncated image data") as info:
        splitter.flush()
    assert "image/jpeg" in str(info.value)
    assert "8 base64 characters" in str(info.value)
    assert "/9j/" not in str(info.value)
    assert not splitter.holding
    assert splitter.flush() == []


def test_flush_raises_right_after_base64_marker() -> None:
    splitter = DataURIStreamSplitter()
    splitter.feed("![image](data:image/png;base64,")
    with pytest.raises(ValueError, match=r"truncated image data"):
        splitter.flush()


def _big_payload() -> str:
    # ~16 MB of base64 (12 MiB of bytes), deterministic.
    return base64.b64encode(random.Random(7).randbytes(12 * 1024 * 1024)).decode()


def test_sixteen_megabytes_in_one_delta_and_in_4kb_deltas() -> None:
    payload = _big_payload()
    assert len(payload) == 16 * 1024 * 1024
    text = "Here is your cat\n![image](data:image/png;base64," + payload + ")\nDone."
    expected = ["Here is your cat\n", DataURIPart("image/png", payload, "image", True), "\nDone."]

    assert split_data_uris(text) == expected
    assert stream([text]) == expected

    pieces = [text[i : i + 4096] for i in range(0, len(text), 4096)]
    splitter = DataURIStreamSplitter()
    out: Segments = []
    for piece in pieces:
        emitted = splitter.feed(piece)
        # No base64 ever leaks out as text while the image is in flight.
        assert all(len(s) < 100 for s in emitted if isinstance(s, str))
        out.extend(emitted)
    out.extend(splitter.flush())
    assert out == expected


def test_sixteen_megabytes_cut_short_raises() -> None:
    payload = _big_payload()
    splitter = DataURIStreamSplitter()
    out = splitter.feed("![image](data:image/png;base64,")
    for i in range(0, len(payload), 4096):
        out += splitter.feed(payload[i : i + 4096])
    assert out == []
    with pytest.raises(ValueError, match=r"truncated image data"):
        splitter.flush()


def test_large_payload_followed_by_a_bad_character_is_text() -> None:
    payload = "QUJD" * 250_000
    text = "![x](data:image/png;base64," + payload + "!)"
    assert split_data_uris(text) == [text]
    assert normalize(stream([text[i : i + 999] for i in range(0, len(text), 999)])) == [text]


def test_many_bracket_candidates_are_handled() -> None:
    # Adversarial for quadratic scanners: many unfinished candidates in one text.
    text = "[a](data:image/png;base64,AAAA " * 20_000 + image()
    expected = [
        "[a](data:image/png;base64,AAAA " * 20_000,
        DataURIPart("image/png", PNG_B64, "image", True),
    ]
    assert split_data_uris(text) == expected
    assert normalize(stream([text[i : i + 7] for i in range(0, len(text), 7)])) == expected


# ----------------------------------------------------------------------------- properties

B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="


@st.composite
def data_uris(draw: st.DrawFn) -> str:
    bang = draw(st.sampled_from(["!", "", "!"]))
    alt = draw(st.sampled_from(["image", "media", "", "a b!", "x(y)"]))
    mime = draw(
        st.sampled_from(
            [
                "image/png",
                "image/jpeg",
                "image/webp",
                "audio/wav",
                "application/pdf",
                "image/svg+xml",
            ]
        )
    )
    payload = draw(st.text(alphabet=B64_ALPHABET, min_size=1, max_size=30))
    return f"{bang}[{alt}](data:{mime};base64,{payload})"


@st.composite
def truncated_uris(draw: st.DrawFn) -> str:
    uri = draw(data_uris())
    return uri[: draw(st.integers(0, len(uri) - 1))]


fragments = st.one_of(
    data_uris(),
    truncated_uris(),
    st.sampled_from(
        [
            "![x](https://e.com/a.png)",
            "![x](data:text)",
            "![x](data:image/png;base64,)",
            "[link](data:image/png,AAAA)",
            "![](data:image/png;base64,AA AA)",
            "![a\nb](data:image/png;base64,AA)",
            "!",
            "[",
            "](",
            ")",
            "\n",
        ]
    ),
    st.text(alphabet="ab \n!()[]:;,/=+Aa", max_size=10),
    st.text(max_size=5),
)
mixed_texts = st.lists(fragments, max_size=8).map("".join)


def _cut(text: str, cuts: list[int]) -> list[str]:
    bounds = [0, *sorted(cuts), len(text)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_streaming_equals_batch_for_any_split(data: st.DataObject) -> None:
    text = data.draw(mixed_texts)
    cuts = data.draw(st.lists(st.integers(0, len(text)), max_size=12))
    pieces = _cut(text, cuts)
    splitter = DataURIStreamSplitter()
    emitted: Segments = []
    for piece in pieces:
        emitted.extend(splitter.feed(piece))
    tail = TRUNCATED_TAIL.search(text)
    if tail is None:
        emitted.extend(splitter.flush())
    else:
        # Only a data URI cut inside its payload raises; it was held back, never emitted.
        with pytest.raises(ValueError, match=r"truncated image data"):
            splitter.flush()
        emitted.append(tail.group(0))
    assert normalize(emitted) == split_data_uris(text)


@settings(max_examples=400, deadline=None)
@given(mixed_texts)
def test_batch_matches_the_regex_oracle(text: str) -> None:
    segments = split_data_uris(text)
    assert segments == oracle_split(text)
    # Text segments are never empty and never adjacent.
    assert normalize(segments) == segments


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(data_uris(), st.text(alphabet="ab \n!()", max_size=6)), max_size=6))
def test_well_formed_images_never_leak_as_text(pieces: list[str]) -> None:
    text = "".join(pieces)
    parts = [s for s in split_data_uris(text) if isinstance(s, DataURIPart)]
    assert len(parts) == sum(1 for p in pieces if p.endswith(")") and "base64," in p)
    for chunk_size in (1, 3, 64):
        out = stream([text[i : i + chunk_size] for i in range(0, len(text), chunk_size)])
        assert not any("base64," in s for s in out if isinstance(s, str))
