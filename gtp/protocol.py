"""The Go Text Protocol, version 2, as a transport: lines in, responses out.

This module knows nothing of Go. It turns input lines into commands (optional numeric id,
name, arguments), dispatches them to a table of typed handlers, and formats the answers:

* success ``"=[id] result\\n\\n"``, failure ``"?[id] message\\n\\n"`` (the id echoed when the
  command carried one; a response never contains an empty line before its end);
* preprocessing per the specification: control characters other than tab and newline are
  removed (so carriage returns vanish), everything from ``#`` on is a comment, tabs become
  spaces, and lines left empty are ignored;
* ``? unknown command`` for names not in the table, ``? syntax error: <detail>`` when the id
  or an argument does not parse, is out of range or the argument count is wrong (the detail
  names the argument and its value, cut to ``SHOWN_CHARS`` characters when it is longer);
* nothing on a line can cost more than one ``?`` answer: a handler that raises anything
  else answers ``? internal error: <exception>`` (the traceback goes to the log), and so
  does any failure while a line is read, parsed or answered; a line longer than
  ``MAX_LINE_CHARS`` is refused whole.

Handlers may also answer with a ``Stream``: the header line ``=[id]`` is written at once, then
each line the stream yields, and a blank line closes the response. An *interruptible*
stream (Leela Zero's ``lz-analyze``) is stopped as soon as a new input line is waiting.
"""

from __future__ import annotations

import math
import queue
import re
import sys
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from go.errors import ZerogoError

PROTOCOL_VERSION = 2


class GtpError(ZerogoError):
    """A command failed; the message becomes the ``?`` response (``"illegal move"``)."""


class GtpSyntaxError(GtpError):
    """An argument did not parse: answered ``? syntax error: <detail>`` (the detail cut to
    ``MAX_DETAIL_CHARS``; it names the argument and its value, see ``shown``)."""

    def __init__(self, detail: str) -> None:
        self.detail = _cut(detail, MAX_DETAIL_CHARS)
        super().__init__(f"syntax error: {self.detail}")


SHOWN_CHARS = 24  # a value longer than this is shown cut, with its length
MAX_DETAIL_CHARS = 300  # an error answer never says more than this
MAX_LINE_CHARS = 1_000_000  # longer input lines are refused whole (the rest is skipped)
MAX_NUMBER_CHARS = 64  # a GTP int or float token longer than this is refused unread


def shown(text: str) -> str:
    """``text`` quoted for an error message (``repr``, so control and invisible characters
    are escaped), cut to ``SHOWN_CHARS`` characters with its length when longer:
    ``'12345678901234567890...' (5000 characters)``."""
    if len(text) <= SHOWN_CHARS:
        return repr(text)
    return f"{text[:SHOWN_CHARS]!r}... ({len(text)} characters)"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass
class Stream:
    """A response written line by line while it is produced.

    ``lines`` yields text lines (without newline) or ``None`` when it has nothing to say yet
    (a chance for the server to look for new input). When ``interruptible`` is true the
    server closes the iterator (``GeneratorExit`` runs its clean-up) as soon as a new line
    arrives on the input, then ends the response; otherwise it runs to completion.
    """

    lines: Iterator[str | None]
    interruptible: bool = True


Result = str | Stream | None
Parser = Callable[[str], Any]


@dataclass(frozen=True)
class Arg:
    """One typed argument: ``parse(text)`` returns the value or raises ``ValueError``."""

    name: str
    parse: Parser
    optional: bool = False


@dataclass(frozen=True)
class CommandSpec:
    """A command's signature and handler.

    ``args`` are positional (optional ones last); ``rest``, when given, parses every
    remaining token and hands them to the handler as one list (``min_rest`` at least).
    The handler receives the parsed values positionally and returns a ``Result``.
    """

    name: str
    handler: Callable[..., Result]
    args: tuple[Arg, ...] = ()
    rest: Arg | None = None
    min_rest: int = 0

    def bind(self, tokens: Sequence[str]) -> list[Any]:
        """Parse ``tokens`` into the handler's arguments; raise ``GtpSyntaxError`` if they
        do not fit the signature."""
        required = sum(1 for a in self.args if not a.optional)
        if len(tokens) < required:
            raise GtpSyntaxError(
                f"{self.name} needs at least {required} argument(s), got {len(tokens)}")
        if self.rest is None and len(tokens) > len(self.args):
            raise GtpSyntaxError(
                f"{self.name} takes at most {len(self.args)} argument(s), got {len(tokens)}")
        values: list[Any] = []
        fixed = tokens[: len(self.args)]
        for arg, token in zip(self.args, fixed, strict=False):
            values.append(_parse(arg, token))
        values.extend(None for _ in self.args[len(fixed):])
        if self.rest is not None:
            extra = tokens[len(self.args):]
            if len(extra) < self.min_rest:
                raise GtpSyntaxError(
                    f"{self.name} needs at least {self.min_rest} {self.rest.name}(s), "
                    f"got {len(extra)}")
            values.append([_parse(self.rest, t) for t in extra])
        return values


def _parse(arg: Arg, token: str) -> Any:
    """``arg.parse(token)``; its ``ValueError`` (whose message names the token, cut when
    long, see ``shown``) becomes ``GtpSyntaxError("bad <arg>: <message>")``."""
    try:
        return arg.parse(token)
    except (ValueError, OverflowError) as exc:
        raise GtpSyntaxError(f"bad {arg.name}: {_cut(str(exc), 200)}") from None


# ---------------------------------------------------------------- argument types
MAX_INT = 2**31 - 1


_FLOAT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_int(text: str) -> int:
    """GTP ``int``: an unsigned decimal integer 0..2^31-1 in ASCII digits (leading zeros
    allowed; no sign, ``_``, spaces or other scripts' digits). Raises ``ValueError``
    naming the text (cut when long) before converting anything absurdly long."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"{shown(text)} is not an unsigned integer")
    digits = text.lstrip("0") or "0"
    if len(digits) > len(str(MAX_INT)) or int(digits) > MAX_INT:
        raise ValueError(f"{shown(text)} is larger than {MAX_INT}")
    return int(digits)


def parse_float(text: str) -> float:
    """GTP ``float``: a finite decimal number in ASCII (``7.5``, ``-0.5``, ``+3``, ``1e2``),
    at most ``MAX_NUMBER_CHARS`` characters; no ``nan``/``inf`` spellings, ``_``, hex or
    other scripts' digits. ``-0`` reads as ``-0.0`` (callers normalise where it matters).
    Raises ``ValueError`` naming the text (cut when long)."""
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"{shown(text)} is longer than {MAX_NUMBER_CHARS} characters")
    if not text.isascii() or _FLOAT.fullmatch(text) is None:
        raise ValueError(f"{shown(text)} is not a decimal number")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{shown(text)} is not a finite number")
    return value


def parse_string(text: str) -> str:
    """GTP ``string``: any token (tokens never hold whitespace)."""
    return text


def parse_bool(text: str) -> bool:
    """GTP ``boolean``: ``true`` or ``false`` (also ``1``/``0``)."""
    lowered = text.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"not a boolean: {shown(text)}")


# ---------------------------------------------------------------- lines and commands
@dataclass(frozen=True)
class Command:
    """A parsed input line: ``id`` (``None`` when absent), ``name``, argument tokens;
    ``error`` (when not ``None``) is why the line is refused before any command runs (an id
    that is not a GTP int, a line too long)."""

    id: int | None
    name: str
    args: tuple[str, ...] = ()
    error: str | None = None


def preprocess(line: str) -> str:
    """Apply the specification's preprocessing to one line; returns ``""`` for a line to
    ignore (empty, blank, or only a comment)."""
    cleaned = "".join(c for c in line if c == "\t" or (c >= " " and c != "\x7f"))
    hash_at = cleaned.find("#")
    if hash_at >= 0:
        cleaned = cleaned[:hash_at]
    return cleaned.replace("\t", " ").strip()


def parse_command(line: str) -> Command | None:
    """``[id] name [args...]`` -> ``Command``; ``None`` for lines to ignore.

    A leading all-digit (ASCII) token is the id, a GTP ``int`` (0..2^31-1); a longer or
    larger one makes a command without id whose ``error`` names it (cut to a few
    characters, however long it is). A line with an id and no name gives a command with an
    empty name (answered as a syntax error).
    """
    text = preprocess(line)
    if not text:
        return None
    tokens = text.split()
    ident: int | None = None
    if tokens[0].isascii() and tokens[0].isdigit():
        try:
            ident = parse_int(tokens[0])
        except ValueError as exc:
            name = tokens[1] if len(tokens) > 1 else ""
            return Command(None, name, tuple(tokens[2:]), error=f"syntax error: bad id: {exc}")
        tokens = tokens[1:]
        if not tokens:
            return Command(ident, "")
    return Command(ident, tokens[0], tuple(tokens[1:]))


def format_response(ident: int | None, ok: bool, text: str = "") -> str:
    """``=id text`` / ``?id text`` with the two closing newlines; empty lines inside
    ``text`` are dropped so the response cannot end early."""
    head = ("=" if ok else "?") + ("" if ident is None else str(ident))
    lines = [line.rstrip() for line in text.split("\n")]
    body = "\n".join(line for line in lines if line)
    if text.startswith("\n") and body:
        body = "\n" + body
    return f"{head} {body}\n\n"


# ---------------------------------------------------------------- dispatcher
@dataclass
class Dispatcher:
    """The command table and the protocol's own commands.

    ``name`` and ``version`` answer ``name``/``version``; ``log`` receives details of
    errors (a file, stderr by default). Register Go-level commands with ``add``.
    """

    name: str
    version: str
    log: TextIO | None = None
    commands: dict[str, CommandSpec] = field(default_factory=dict)
    quit_requested: bool = False

    def __post_init__(self) -> None:
        self.add(CommandSpec("protocol_version", lambda: str(PROTOCOL_VERSION)))
        self.add(CommandSpec("name", lambda: self.name))
        self.add(CommandSpec("version", lambda: self.version))
        self.add(CommandSpec("known_command", self._known, (Arg("command", parse_string),)))
        self.add(CommandSpec("list_commands", lambda: "\n".join(sorted(self.commands))))
        self.add(CommandSpec("quit", self._quit))

    def add(self, spec: CommandSpec) -> None:
        """Register (or replace) one command."""
        self.commands[spec.name] = spec

    def add_all(self, specs: Iterable[CommandSpec]) -> None:
        """Register several commands."""
        for spec in specs:
            self.add(spec)

    def _known(self, command: str) -> str:
        return "true" if command in self.commands else "false"

    def _quit(self) -> None:
        self.quit_requested = True

    def _log(self, message: str) -> None:
        out = self.log if self.log is not None else sys.stderr
        try:
            print(message, file=out, flush=True)
        except (OSError, ValueError):
            pass

    def execute(self, command: Command) -> tuple[bool, Result]:
        """Run one command: ``(True, result)`` on success, ``(False, message)`` on failure.
        Never raises (except ``KeyboardInterrupt``/``SystemExit``)."""
        if command.error is not None:
            self._log(command.error)
            return False, command.error
        if not command.name:
            self._log("syntax error: a line with an id and no command")
            return False, "syntax error: a line with an id and no command"
        spec = self.commands.get(command.name)
        if spec is None:
            return False, "unknown command"
        try:
            values = spec.bind(command.args)
            return True, spec.handler(*values)
        except GtpSyntaxError as exc:
            self._log(f"{command.name}: {exc}")
            return False, str(exc)
        except GtpError as exc:
            return False, _cut(str(exc), MAX_DETAIL_CHARS) or "failed"
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug must cost one answer, not the engine
            self._log(f"{command.name}: internal error\n{traceback.format_exc()}")
            return False, f"internal error: {type(exc).__name__}"

    def answer(self, command: Command) -> str:
        """The whole response to ``command`` as text (a stream run as ``handle_line``
        does). Never raises (except ``KeyboardInterrupt``/``SystemExit``): whatever fails
        on the way becomes ``? internal error: <exception>``, its traceback logged."""
        try:
            ok, result = self.execute(command)
            if isinstance(result, Stream):
                return self._collect(command.id, result)
            return format_response(command.id, ok, "" if result is None else str(result))
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:
            return self._internal_error(command.id, exc)

    def _internal_error(self, ident: int | None, exc: BaseException) -> str:
        """``?[id] internal error: <exception>``, built by hand (whatever failed may be
        ``format_response`` itself); the traceback goes to the log."""
        self._log(f"internal error\n{traceback.format_exc()}")
        return f"?{'' if ident is None else ident} internal error: {type(exc).__name__}\n\n"

    def _collect(self, ident: int | None, stream: Stream) -> str:
        parts = []
        try:
            for item in stream.lines:
                if item:
                    parts.append(item.replace("\n", " "))
                if stream.interruptible:
                    break
        finally:
            close = getattr(stream.lines, "close", None)
            if close is not None:
                close()
        head = "=" + ("" if ident is None else str(ident))
        return head + "\n" + "".join(p + "\n" for p in parts) + "\n"

    def handle_line(self, line: str) -> str | None:
        """Answer one input line as text; ``None`` for ignored lines. Convenient for tests
        and for scripted use. A non-interruptible stream runs to its end; an interruptible
        one stops after its first item, as if the next command arrived at once. Never
        raises (see ``answer``)."""
        try:
            command = parse_command(line)
        except Exception as exc:  # parse_command has no known failure: log it if it does
            return self._internal_error(None, exc)
        if command is None:
            return None
        return self.answer(command)

    # ------------------------------------------------------------ the serving loop
    def serve(self, infile: TextIO, outfile: TextIO) -> None:
        """Read commands from ``infile`` and answer on ``outfile`` until ``quit``, the end
        of the input, or the output closing.

        A reader thread queues input lines so an interruptible stream can stop as soon as
        the next command arrives. One line costs at most one answer: a line that cannot be
        parsed or answered gets ``?`` and the loop goes on.
        """
        lines: queue.Queue[str | Command | None] = queue.Queue()
        threading.Thread(target=self._read, args=(infile, lines), name="gtp-stdin",
                         daemon=True).start()
        while not self.quit_requested:
            raw = lines.get()
            if raw is None:
                break
            command = raw if isinstance(raw, Command) else None
            try:
                if command is None:
                    command = parse_command(raw)
                if command is None:
                    continue
                ok, result = self.execute(command)
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:
                self._log(f"internal error\n{traceback.format_exc()}")
                command = Command(None if command is None else command.id, "")
                ok, result = False, f"internal error: {type(exc).__name__}"
            try:
                if isinstance(result, Stream):
                    self._write_stream(command.id, result, outfile, lines)
                    continue
                try:
                    response = format_response(command.id, ok,
                                               "" if result is None else str(result))
                except (KeyboardInterrupt, SystemExit):
                    raise
                except Exception as exc:
                    response = self._internal_error(command.id, exc)
                _write(outfile, response)
            except (OSError, ValueError) as exc:  # the controller closed our output
                self._log(f"output closed: {exc}")
                return

    def _read(self, infile: TextIO, lines: queue.Queue) -> None:
        """Queue the lines of ``infile``, then ``None``. A line longer than
        ``MAX_LINE_CHARS`` is read to its end but queued as a refusal (a ``Command`` with
        an ``error``, keeping the line's id when it starts with a valid one), so no line
        can exhaust memory or cost more than one answer."""
        try:
            while True:
                raw = infile.readline(MAX_LINE_CHARS)
                if not raw:
                    break
                if len(raw) >= MAX_LINE_CHARS and not raw.endswith("\n"):
                    while True:  # skip the rest of the line
                        more = infile.readline(MAX_LINE_CHARS)
                        if not more or more.endswith("\n"):
                            break
                    lines.put(_too_long(raw))
                    continue
                lines.put(raw)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            self._log(f"input closed: {exc}")
        except Exception:
            self._log(f"input failed\n{traceback.format_exc()}")
        finally:
            lines.put(None)

    def _write_stream(
        self, ident: int | None, stream: Stream, outfile: TextIO, pending: queue.Queue
    ) -> None:
        _write(outfile, "=" + ("" if ident is None else str(ident)) + "\n")
        iterator = stream.lines
        try:
            for line in iterator:
                if line:
                    _write(outfile, line.replace("\n", " ") + "\n")
                if stream.interruptible and not pending.empty():
                    break
        except Exception:
            self._log(f"stream failed\n{traceback.format_exc()}")
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                try:
                    close()
                except Exception:
                    self._log(f"stream clean-up failed\n{traceback.format_exc()}")
        _write(outfile, "\n")


def _too_long(start: str) -> Command:
    """The refusal of a line longer than ``MAX_LINE_CHARS`` that begins with ``start``
    (its id kept when it has a valid one)."""
    head = preprocess(start[:64]).split()
    ident = None
    if head and head[0].isascii() and head[0].isdigit():
        try:
            ident = parse_int(head[0])
        except ValueError:
            pass
    return Command(ident, "", error=f"syntax error: line longer than {MAX_LINE_CHARS} "
                                    "characters")


def _write(outfile: TextIO, text: str) -> None:
    outfile.write(text)
    outfile.flush()
