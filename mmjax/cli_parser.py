"""The one argument parser every ``mmjax`` command is built with, so all of them read options alike.

Two things differ from ``argparse.ArgumentParser``:

* **no abbreviations**: ``allow_abbrev`` is False, so ``mmjax train toy --step 10`` is refused instead of
  silently read as ``--steps 10``; an option means exactly what it spells. (Since Python 3.8 this leaves
  short flags alone: ``-n 3``, ``-n3`` and grouped ``-vq`` still work.)
* **unknown options are named by the parser they were given to**, with the closest real option
  (difflib over that parser's own option strings): ``mmjax demo: error: unknown option --seeed; did you
  mean --seed?``. Plain argparse reports them from the top-level parser, lumped together with every word
  that followed (``unrecognized arguments: --seeed 3 a big red circle``).

``add_subparsers`` makes sub-parsers of the parser's own class, so a sub-command registered anywhere
inherits both. Errors print one line, ``PROG: error: MESSAGE``, and exit with status 2, as argparse does.
"""

from __future__ import annotations

import argparse
import difflib


class Parser(argparse.ArgumentParser):
    """``argparse.ArgumentParser`` without abbreviations, and with "did you mean" for unknown options."""

    def __init__(self, *args, allow_abbrev: bool = False, **kwargs):
        super().__init__(*args, allow_abbrev=allow_abbrev, **kwargs)

    def parse_known_args(self, args=None, namespace=None):
        # A sub-parser is run through parse_known_args and hands what it did not read up to its parent,
        # which no longer knows whose options they were; argparse gives a sub-parser every word after its
        # command, so nothing it leaves over can be read by anyone: the parser that was given it refuses it.
        # (Hence this class's parse_known_args reads like parse_args, and parse_intermixed_args, which
        # relies on leftovers, is not supported.)
        namespace, extras = super().parse_known_args(args, namespace)
        unknown = [arg for arg in extras if self._looks_like_option(arg)]
        if unknown:
            self.exit(2, f"{self.prog}: error: {self.unknown_option_message(unknown[0])}\n")
        if extras:
            self.error(f"unexpected argument{'s' * (len(extras) > 1)}: {' '.join(map(repr, extras))}")
        return namespace, extras

    def _looks_like_option(self, arg: str) -> bool:
        if arg == "--" or len(arg) < 2 or arg[0] not in self.prefix_chars:
            return False
        # argparse reads "-3" as a value unless the parser has options that look like negative numbers
        return self._has_negative_number_optionals or not self._negative_number_matcher.match(arg)

    def unknown_option_message(self, arg: str) -> str:
        """``unknown option --seeed; did you mean --seed?``, or where to find the options."""
        option = arg.split("=", 1)[0]
        # Compared without their dashes: the "--" every long option shares would make "--steps" look close
        # to "--help".
        names = {known.lstrip(self.prefix_chars): known for known in self._option_string_actions}
        close = difflib.get_close_matches(option.lstrip(self.prefix_chars), list(names), n=1, cutoff=0.6)
        if close:
            return f"unknown option {option}; did you mean {names[close[0]]}?"
        return f"unknown option {option}; `{self.prog} --help` lists the options"

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE`` on one line and exit with status 2. (argparse also prints the
        usage, which for ``mmjax train TASK`` runs to dozens of lines and buries the message.)"""
        self.exit(2, f"{self.prog}: error: {message} (`{self.prog} --help` shows the usage)\n")
