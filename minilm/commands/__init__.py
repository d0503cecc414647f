"""The command-line layer: one small module per ``python -m minilm COMMAND``.

Each is registered in :data:`minilm.cli.COMMANDS`. They sit at the top of the
layering (see the README's Layout): they may import anything below them, and
nothing in the library imports them.
"""
