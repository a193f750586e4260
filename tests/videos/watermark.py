"""Frame-number watermark for the synthetic test videos.

Every picture carries its own frame number as a 16-bit code drawn as a 4x4
grid of flat cells:

* cell (cx, cy) covers x in [cx*W/4, (cx+1)*W/4) and y in [cy*H/4, (cy+1)*H/4);
* bit b (0..15) lives in cell row ``b // 4``, column ``b % 4``;
* a 1 bit is luma 235, a 0 bit luma 16 (8-bit limited range), chroma is 128;
* the code for value v (0 <= v < 4096) is ``v | ((v % 15) << 12)``: bits
  12..15 are a check, so a misread (or a frame from the wrong place) is
  detected instead of silently returning a wrong number.

The pictures are produced by ffmpeg's ``geq`` filter (see ``geq_filter``),
read back with ``read_watermark`` (luma plane) or ``read_watermark_rgb``.
This module has no dependency besides numpy so that tests of the library can
import it directly.
"""

from __future__ import annotations

import numpy as np

GRID = 4                 # cells per row and per column
NUM_BITS = GRID * GRID   # 16
VALUE_BITS = 12          # payload bits; the other 4 are the check
MAX_VALUE = 1 << VALUE_BITS
CHECK_MOD = 15
LUMA_ONE = 235           # 8-bit limited-range white
LUMA_ZERO = 16           # 8-bit limited-range black


def encode(value: int) -> int:
    """Return the 16-bit code drawn for ``value``."""
    if not 0 <= value < MAX_VALUE:
        raise ValueError(f"watermark value out of range: {value}")
    return value | ((value % CHECK_MOD) << VALUE_BITS)


def decode(code: int) -> int:
    """Return the value of a 16-bit code; ValueError if its check fails."""
    value = code & (MAX_VALUE - 1)
    if code >> VALUE_BITS != value % CHECK_MOD:
        raise ValueError(f"watermark check failed (code 0x{code:04x})")
    return value


def geq_filter() -> str:
    """ffmpeg filter drawing the watermark of the frame counter ``N``.

    Apply it to an 8-bit YUV source (e.g. ``color=...,format=yuv420p``); for
    10-bit output append ``format=yuv420p10le`` after it so the levels scale.
    The expression mirrors ``encode``: code = N + 4096 * (N mod 15), and the
    cell at (X, Y) shows bit ``floor(Y*4/H)*4 + floor(X*4/W)`` of it.
    """
    code = f"(N+{MAX_VALUE}*mod(N,{CHECK_MOD}))"
    bit = f"floor(Y*{GRID}/H)*{GRID}+floor(X*{GRID}/W)"
    lum = f"if(bitand(floor({code}/pow(2,{bit})),1),{LUMA_ONE},{LUMA_ZERO})"
    return f"geq=lum='{lum}':cb=128:cr=128"


def _cell_means(plane: np.ndarray) -> np.ndarray:
    """Mean of the central 50% (in each direction) of every cell, 16 values
    in bit order."""
    if plane.ndim != 2:
        raise ValueError(f"expected a 2-D plane, got shape {plane.shape}")
    h, w = plane.shape
    if h < 2 * GRID or w < 2 * GRID:
        raise ValueError(f"plane too small for a watermark: {plane.shape}")
    means = np.empty(NUM_BITS, dtype=np.float64)
    for b in range(NUM_BITS):
        cy, cx = divmod(b, GRID)
        y0, y1 = _central_span(cy, h)
        x0, x1 = _central_span(cx, w)
        means[b] = plane[y0:y1, x0:x1].mean(dtype=np.float64)
    return means


def _central_span(cell: int, size: int) -> tuple[int, int]:
    """Pixel range [a, b) of the middle half of cell ``cell`` along an axis of
    ``size`` pixels (cell boundaries as in the geq expression)."""
    start = cell * size / GRID
    quarter = size / (GRID * 4)
    a = int(np.ceil(start + quarter))
    b = int(np.floor(start + 3 * quarter))
    return a, max(b, a + 1)


def _bits_to_value(means: np.ndarray, threshold: float) -> int:
    code = 0
    for b, m in enumerate(means):
        if m > threshold:
            code |= 1 << b
    return decode(code)


def read_watermark(y: np.ndarray, bit_depth: int = 8) -> int:
    """Frame number stored in a luma plane.

    ``y`` is a 2-D array (uint8 for 8-bit, uint16 for 10/12-bit video; any
    strides) holding limited-range luma of ``bit_depth`` bits. Raises
    ValueError if the check bits do not match.
    """
    scale = 1 << (bit_depth - 8)
    threshold = (LUMA_ONE + LUMA_ZERO) / 2 * scale
    return _bits_to_value(_cell_means(np.asarray(y)), threshold)


def read_watermark_rgb(rgb: np.ndarray) -> int:
    """Frame number stored in an (H, W, 3) uint8 RGB or BGR image.

    Limited-range luma 16/235 with neutral chroma converts to about 0/255 in
    every channel, so the channel mean is thresholded at 128.
    """
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) image, got shape {rgb.shape}")
    gray = rgb.mean(axis=2, dtype=np.float32)
    return _bits_to_value(_cell_means(gray), 128.0)
