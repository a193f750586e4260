"""A minimal PNG writer (zlib + struct only).

The command-line tool saves decoded frames as images. Pulling in Pillow for that
would make an image library a dependency of a video decoder, so this module
writes the simplest valid PNG instead: 8-bit RGB or grayscale, no interlacing,
every scanline with filter type 0 (None). Files are larger than an optimising
encoder's but any viewer reads them, and the pixels are exact.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path
from typing import Union

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# PNG colour types (PNG spec, IHDR): 0 = grayscale, 2 = truecolour RGB.
_COLOR_TYPE_BY_CHANNELS = {1: 0, 3: 2}


def _chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 over type + data."""
    crc = zlib.crc32(payload, zlib.crc32(kind)) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def _as_hwc_uint8(array: np.ndarray) -> np.ndarray:
    """Validate the image and return it as a C-contiguous (H, W, C) uint8 array."""
    image = np.asarray(array)
    if image.dtype != np.uint8:
        raise ValueError(f"PNG writer needs uint8 pixels, got {image.dtype}")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in _COLOR_TYPE_BY_CHANNELS:
        raise ValueError(f"PNG writer needs an (H, W) or (H, W, 3) array, got shape {image.shape}")
    if image.shape[0] < 1 or image.shape[1] < 1:
        raise ValueError(f"PNG writer needs a non-empty image, got shape {image.shape}")
    return np.ascontiguousarray(image)


def encode_png(array: np.ndarray, compress_level: int = 6) -> bytes:
    """Encode an (H, W, 3) RGB or (H, W) gray uint8 array as PNG bytes."""
    image = _as_hwc_uint8(array)
    height, width, channels = image.shape
    # Each scanline is prefixed by its filter-type byte (0 = None).
    rows = image.reshape(height, width * channels)
    scanlines = np.empty((height, 1 + width * channels), dtype=np.uint8)
    scanlines[:, 0] = 0
    scanlines[:, 1:] = rows
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOR_TYPE_BY_CHANNELS[channels], 0, 0, 0)
    return b"".join((
        PNG_SIGNATURE,
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", zlib.compress(scanlines.tobytes(), compress_level)),
        _chunk(b"IEND", b""),
    ))


def write_png(path: Union[str, "os.PathLike[str]"], array: np.ndarray, compress_level: int = 6) -> None:
    """Write ``array`` to ``path`` as a PNG.

    The bytes go to a temporary file that is then renamed, so a reader never sees
    a half-written image (e.g. a viewer refreshing while the demo runs).
    """
    data = encode_png(array, compress_level)
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()
