"""formats.candidates tries only the library's signatures of our formats: it must answer as
puremagic itself does, less the formats we never accept, whatever the bytes."""

from __future__ import annotations

import random

import puremagic
import pytest

from mediasync import formats
from tests.samples import every_format


def library_answer(head: bytes) -> list[str]:
    """puremagic's full answer, as extensions of ours, likeliest first."""
    try:
        matches = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return []
    found: list[str] = []
    for match in matches:
        ext = str(match.extension).lstrip(".").lower()
        if ext in formats._RELEVANT and ext not in found:
            found.append(ext)
    return found


def heads() -> list[bytes]:
    rng = random.Random(7)
    samples = [data for data, _ in every_format().values()]
    cut = [data[:n] for data in samples for n in (1, 4, 12, 30)]
    noise = [rng.randbytes(rng.randrange(1, 600)) for _ in range(300)]
    # Our formats' own signatures, with noise after them: every stem and multi-part path.
    grown = [
        b"\x00" * row.offset + row.byte_match + rng.randbytes(64)
        for row in formats._OUR_SIGNATURES
        if row.offset >= 0
    ]
    return [*samples, *cut, *noise, *grown]


@pytest.mark.parametrize("head", heads(), ids=lambda h: h[:12].hex())
def test_our_signatures_answer_as_the_library_does(head: bytes) -> None:
    assert formats.candidates(head) == library_answer(head)


def test_a_riff_stem_still_grows_into_wav_webp_and_avi() -> None:
    answers = {name: formats.candidates(data) for name, (data, _) in every_format().items()}
    assert answers["a.wav"][0] == "wav"
    assert answers["a.webp"][0] == "webp"
    assert answers["a.avi"][0] == "avi"


def test_far_fewer_signatures_are_tried_than_the_library_holds() -> None:
    assert len(formats._OUR_SIGNATURES) < len(puremagic.main.magic_header_array) / 3
