"""The Go Text Protocol, version 2, as a transport: lines in, responses out.

This module knows nothing of Go. It turns input lines into commands (optional numeric id,
name, arguments), dispatches them to a table of typed handlers, and formats the answers:

* success ``"=[id] result\\n\\n"``, failure ``"?[id] message\\n\\n"`` (the id echoed when the
  command carried one; a response never contains an empty line before its end);
* preprocessing per the specification: control characters other than tab and newline are
  removed (so carriage returns vanish), everything from ``#`` on is a comment, tabs become
  spaces, and lines left empty are ignored;
* ``? unknown command`` for names not in the table, ``? syntax error`` when an argument does
  not parse or the argument count is wrong;
* a handler that raises anything else costs one ``?`` answer, never the process.

Handlers may also answer with a ``Stream``: the header line ``=[id]`` is written at once, then
each line the stream yields, and a blank line closes the response. An *interruptible*
stream (Leela Zero's ``lz-analyze``) is stopped as soon as a new input line is waiting.
"""

from __future__ import annotations

import queue
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
    """An argument did not parse: answered ``? syntax error``; the detail goes to the log."""

    def __init__(self, detail: str) -> None:
        super().__init__("syntax error")
        self.detail = detail


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
    try:
        return arg.parse(token)
    except (ValueError, OverflowError) as exc:
        raise GtpSyntaxError(f"bad {arg.name} {token!r}: {exc}") from None


# ---------------------------------------------------------------- argument types
MAX_INT = 2**31 - 1


def parse_int(text: str) -> int:
    """GTP ``int``: an unsigned decimal integer 0..2^31-1."""
    if not text.isascii() or not text.isdigit():
        raise ValueError(f"not an unsigned integer: {text!r}")
    value = int(text)
    if value > MAX_INT:
        raise ValueError(f"integer {value} is larger than {MAX_INT}")
    return value


def parse_float(text: str) -> float:
    """GTP ``float``: a finite decimal number (``7.5``, ``-0.5``, ``1e2``)."""
    if not text.isascii():
        raise ValueError(f"not a number: {text!r}")
    value = float(text)  # raises ValueError for garbage
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(f"number must be finite, got {text!r}")
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
    raise ValueError(f"not a boolean: {text!r}")


# ---------------------------------------------------------------- lines and commands
@dataclass(frozen=True)
class Command:
    """A parsed input line: ``id`` (``None`` when absent), ``name``, argument tokens."""

    id: int | None
    name: str
    args: tuple[str, ...] = ()


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

    A leading all-digit token is the id. A line with an id and no name gives a command
    with an empty name (answered as a syntax error).
    """
    text = preprocess(line)
    if not text:
        return None
    tokens = text.split()
    ident: int | None = None
    if tokens[0].isascii() and tokens[0].isdigit():
        ident = int(tokens[0])
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
        if not command.name:
            self._log("syntax error: a line with an id and no command")
            return False, "syntax error"
        spec = self.commands.get(command.name)
        if spec is None:
            return False, "unknown command"
        try:
            values = spec.bind(command.args)
            return True, spec.handler(*values)
        except GtpSyntaxError as exc:
            self._log(f"{command.name}: syntax error: {exc.detail}")
            return False, "syntax error"
        except GtpError as exc:
            return False, str(exc) or "failed"
        except (KeyboardInterrupt, SystemExit):
            raise
        except Exception as exc:  # a bug must cost one answer, not the engine
            self._log(f"{command.name}: internal error\n{traceback.format_exc()}")
            return False, f"internal error: {type(exc).__name__}"

    def handle_line(self, line: str) -> str | None:
        """Answer one input line as text; ``None`` for ignored lines. Convenient for tests
        and for scripted use. A non-interruptible stream runs to its end; an interruptible
        one stops after its first item, as if the next command arrived at once."""
        command = parse_command(line)
        if command is None:
            return None
        ok, result = self.execute(command)
        if isinstance(result, Stream):
            parts = []
            try:
                for item in result.lines:
                    if item:
                        parts.append(item.replace("\n", " "))
                    if result.interruptible:
                        break
            finally:
                close = getattr(result.lines, "close", None)
                if close is not None:
                    close()
            head = "=" + ("" if command.id is None else str(command.id))
            return head + "\n" + "".join(p + "\n" for p in parts) + "\n"
        return format_response(command.id, ok, "" if result is None else str(result))

    # ------------------------------------------------------------ the serving loop
    def serve(self, infile: TextIO, outfile: TextIO) -> None:
        """Read commands from ``infile`` and answer on ``outfile`` until ``quit``, the end
        of the input, or the output closing.

        A reader thread queues input lines so an interruptible stream can stop as soon as
        the next command arrives.
        """
        lines: queue.Queue[str | None] = queue.Queue()

        def read() -> None:
            try:
                for raw in infile:
                    lines.put(raw)
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                self._log(f"input closed: {exc}")
            finally:
                lines.put(None)

        threading.Thread(target=read, name="gtp-stdin", daemon=True).start()
        while not self.quit_requested:
            raw = lines.get()
            if raw is None:
                break
            command = parse_command(raw)
            if command is None:
                continue
            ok, result = self.execute(command)
            try:
                if isinstance(result, Stream):
                    self._write_stream(command.id, result, outfile, lines)
                else:
                    text = "" if result is None else str(result)
                    _write(outfile, format_response(command.id, ok, text))
            except (OSError, ValueError) as exc:  # the controller closed our output
                self._log(f"output closed: {exc}")
                return

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


def _write(outfile: TextIO, text: str) -> None:
    outfile.write(text)
    outfile.flush()
