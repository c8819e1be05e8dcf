"""Scalars from TensorBoard event files, read with the standard library alone.

An event file is a sequence of TFRecords (``uint64 length, uint32 crc, data, uint32 crc``)
each holding one ``Event`` protocol buffer. Only what scalars need is decoded:
``Event.wall_time`` (1, double), ``Event.step`` (2, int64), ``Event.summary`` (5) ->
``Summary.value`` (1) -> ``tag`` (1) and either ``simple_value`` (2, float) or
``tensor`` (8) -> ``TensorProto.float_val`` (5) / ``double_val`` (6) /
``tensor_content`` (4) of a float32 scalar. A record cut short at the end of a file
(one being written) is left for the next read.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

Field = tuple[int, int | float | bytes]  # (wire type, value)


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> dict[int, list[Field]]:
    """A protocol buffer message's fields: number -> [(wire type, raw value)]."""
    out: dict[int, list[Field]] = {}
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        value: int | float | bytes
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value = buf[i:i + 8]
            i += 8
        elif wire == 2:
            length, i = _varint(buf, i)
            value = buf[i:i + length]
            i += length
        elif wire == 5:
            value = buf[i:i + 4]
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.setdefault(number, []).append((wire, value))
    return out


def _tensor_scalar(buf: bytes) -> float | None:
    f = _fields(buf)
    for number, fmt in ((5, "<f"), (6, "<d")):
        for wire, value in f.get(number, []):
            raw = bytes(value) if wire != 2 else bytes(value)[: struct.calcsize(fmt)]
            if len(raw) == struct.calcsize(fmt):
                return struct.unpack(fmt, raw)[0]
    for _, value in f.get(4, []):
        if len(value) == 4:
            return struct.unpack("<f", value)[0]
        if len(value) == 8:
            return struct.unpack("<d", value)[0]
    return None


def parse_event(data: bytes) -> list[tuple[str, float, int, float]]:
    """``[(tag, wall_time_s, step, value)]`` of one serialized ``Event``'s scalars."""
    f = _fields(data)
    wall = struct.unpack("<d", f[1][0][1])[0] if 1 in f else 0.0
    step = int(f[2][0][1]) if 2 in f else 0
    out = []
    for _, summary in f.get(5, []):
        for _, value in _fields(summary).get(1, []):
            v = _fields(value)
            if 1 not in v:
                continue
            tag = bytes(v[1][0][1]).decode("utf-8", "replace")
            number = None
            if 2 in v:
                number = struct.unpack("<f", v[2][0][1])[0]
            elif 8 in v:
                number = _tensor_scalar(v[8][0][1])
            if number is not None:
                out.append((tag, wall, step, float(number)))
    return out


class ScalarReader:
    """Reads the scalars of every event file in ``logdir``, incrementally: each call to
    ``read`` decodes only the records added since the previous one.

    ``series[tag]`` is a list of ``(wall_time_s, step, value)`` in file order.
    """

    def __init__(self, logdir: str | os.PathLike) -> None:
        self.logdir = Path(logdir)
        self.series: dict[str, list[tuple[float, int, float]]] = {}
        self._offsets: dict[Path, int] = {}

    def read(self) -> dict[str, list[tuple[float, int, float]]]:
        if self.logdir.is_dir():
            for path in sorted(self.logdir.glob("events.out.tfevents.*")):
                self._read_file(path)
        return self.series

    def _read_file(self, path: Path) -> None:
        offset = self._offsets.get(path, 0)
        try:
            if path.stat().st_size <= offset:
                return
            with open(path, "rb") as f:
                f.seek(offset)
                buf = f.read()
        except OSError:
            return
        i = 0
        while i + 12 <= len(buf):
            (length,) = struct.unpack("<Q", buf[i:i + 8])
            end = i + 12 + length + 4
            if end > len(buf):
                break
            try:
                scalars = parse_event(buf[i + 12:i + 12 + length])
            except (ValueError, IndexError, struct.error):
                scalars = []  # a record that is not an Event with scalars
            for tag, wall, step, value in scalars:
                self.series.setdefault(tag, []).append((wall, step, value))
            i = end
        self._offsets[path] = offset + i
