"""``python -m minilm tokenizer``: train, encode, decode, and clear errors for bad input."""

import io
import subprocess
import sys

import pytest

from minilm import cli
from minilm.commands.tokenizer import main
from minilm.text import BPETokenizer, CharTokenizer, load_tokenizer

TEXT = "".join(
    f"line {i}: the cat {i * 7 % 13} sat on mat {i % 5}. Thé chat ✓ — 猫\n" for i in range(60)
)


@pytest.fixture
def tok_file(tmp_path, capsys):
    """A BPE tokenizer trained by the command on a small text, with one special token."""
    (tmp_path / "in.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "tok.json"
    argv = ["train", "--text", str(tmp_path / "in.txt"), "--vocab-size", "300", "--out", str(out),
            "--special", "<|end|>"]  # fmt: skip
    assert main(argv) == 0
    capsys.readouterr()
    return out


def run(argv, capsys, stdin=None, monkeypatch=None):
    """``(exit status, stdout, stderr)`` of the command; argparse errors give status 2 too."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        code = main(argv)
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    return code, out, err


def error_line(err):
    (line,) = [line for line in err.splitlines() if "error:" in line]
    assert "Traceback" not in err
    return line


def test_train_reports_merges_compression_and_where(tmp_path, capsys):
    (tmp_path / "in.txt").write_text(TEXT, encoding="utf-8")
    out = tmp_path / "tok.json"
    code, stdout, err = run(["train", "--text", str(tmp_path / "in.txt"), "--vocab-size", "300",
                             "--out", str(out), "--special", "<a>", "<b>"], capsys)  # fmt: skip
    assert code == 0
    tok = load_tokenizer(out)
    assert len(tok.merges) == 42 and list(tok.special_tokens) == ["<a>", "<b>"]
    lines = stdout.splitlines()
    assert lines[0] == "learned 42 merges: 300 tokens (256 bytes + 42 merges + 2 special tokens)"
    ratio = len(TEXT) / len(tok.encode(TEXT))
    assert lines[1].startswith(f"compression: {ratio:.2f} characters per token on ")
    assert lines[2] == f"wrote {out.resolve()}"
    assert "BPE merges: 100%" in err  # the progress bar


def test_train_says_when_it_learned_fewer_merges_than_asked(tmp_path, capsys):
    (tmp_path / "in.txt").write_text("ab ab ab\n", encoding="utf-8")
    argv = ["train", "--text", str(tmp_path / "in.txt"), "--vocab-size", "1000",
            "--out", str(tmp_path / "t.json")]  # fmt: skip
    code, out, _ = run(argv, capsys)
    assert code == 0 and "(744 were asked for; every chunk of the text is already one token)" in out


@pytest.mark.parametrize(
    "text", ["hello there", "Thé chat était là ✓ — 猫<|end|> and 🙂", "  two\n\nlines\n", ""]
)
def test_encode_then_decode_gives_back_the_text(tok_file, text, capsys, monkeypatch):
    code, out, _ = run(["encode", str(tok_file), text], capsys)
    assert code == 0 and out.endswith("\n") and out.count("\n") == 1
    ids = out.split()
    assert ids == [str(i) for i in load_tokenizer(tok_file).encode(text)]
    if ids:  # with no ids, decode reads standard input
        assert run(["decode", str(tok_file), *ids], capsys) == (0, text, "")
    piped = run(["decode", str(tok_file)], capsys, stdin=out, monkeypatch=monkeypatch)
    assert piped == (0, text, "")  # exactly the text: no newline is added (not a terminal)


def test_encode_a_file(tok_file, tmp_path, capsys, monkeypatch):
    (tmp_path / "more.txt").write_text("ünïcode\r\nok\n", encoding="utf-8")
    code, out, _ = run(["encode", str(tok_file), "--text", str(tmp_path / "more.txt")], capsys)
    assert code == 0
    assert run(["decode", str(tok_file)], capsys, stdin=out, monkeypatch=monkeypatch)[1] == (
        "ünïcode\nok\n"  # read_text_file makes every line end \n
    )


def test_encode_refuses_an_argument_that_is_not_utf8(tok_file, capsys):
    code, out, err = run(["encode", str(tok_file), "caf\udce9"], capsys)  # what Python makes of
    assert code == 2 and out == ""  # the bytes b"caf\xe9" in sys.argv
    assert "TEXT is not UTF-8 (character 3); save it in a UTF-8 file" in error_line(err)


def test_decode_refuses_stdin_that_is_not_text(tok_file, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"1 \xff"), encoding="utf-8"))
    code, out, err = run(["decode", str(tok_file)], capsys)
    assert code == 2 and out == "" and "standard input is not text" in error_line(err)


def test_a_char_tokenizer_file_works_too(tmp_path, capsys):
    path = tmp_path / "c.json"
    CharTokenizer.from_text("abc").save(path)
    assert run(["encode", str(path), "cab"], capsys) == (0, "2 0 1\n", "")
    assert run(["decode", str(path), "2", "0", "1"], capsys) == (0, "cab", "")
    code, _, err = run(["encode", str(path), "abz"], capsys)
    assert code == 2 and "'z' (position 2) is not in the vocabulary" in error_line(err)


@pytest.mark.parametrize(
    "argv, flag",
    [
        (["--vocab-size", "255"], "argument --vocab-size: must be at least 256 (256 bytes + 0 "),
        (["--vocab-size", "257", "--special", "<a>", "<b>"], "at least 258 (256 bytes + 2 spec"),
        (["--vocab-size", "0"], "argument --vocab-size: must be a whole number >= 1"),
        (["--vocab-size", "300", "--special", "<a>", "<a>"], "--special: special tokens: '<a>'"),
        (["--vocab-size", "300", "--special", ""], "argument --special: special tokens have 1 to"),
        (["--vocab-size", "300", "--out", "no/such/dir/t.json"], "argument --out: the folder"),
        (["--vocab-size", "300", "--text", "missing.txt"], "argument --text: no such file"),
    ],
)
def test_train_bad_arguments(tmp_path, capsys, argv, flag):
    (tmp_path / "in.txt").write_text(TEXT, encoding="utf-8")
    base = ["train", "--text", str(tmp_path / "in.txt"), "--out", str(tmp_path / "t.json")]
    code, _, err = run(base + argv, capsys)
    assert code == 2 and flag in error_line(err)
    assert not (tmp_path / "t.json").exists()


def test_train_refuses_to_overwrite_its_text_or_read_a_non_utf8_file(tmp_path, capsys):
    text = tmp_path / "in.txt"
    text.write_text(TEXT, encoding="utf-8")
    code, _, err = run(["train", "--text", str(text), "--vocab-size", "300", "--out", str(text)],
                       capsys)  # fmt: skip
    assert code == 2 and "argument --out: that is the training text" in error_line(err)
    text.write_bytes(b"caf\xe9\n")
    code, _, err = run(["train", "--text", str(text), "--vocab-size", "300", "--out",
                        str(tmp_path / "t.json")], capsys)  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "is not UTF-8: byte 0xe9 at offset 3" in err


@pytest.mark.parametrize(
    "argv, stdin, message",
    [
        (["300"], None, "id 300 is out of range: this tokenizer has 257 tokens, ids 0 to 256"),
        (["1", "x"], None, "argument ID: must be a whole number, got 'x'"),
        (["-1"], None, "argument ID: must be a whole number >= 0, got '-1'"),
        ([], "104 105\n 1.5", "standard input, id 3: must be a whole number, got '1.5'"),
        ([], "104 999", "id 999 is out of range"),
    ],
)
def test_decode_bad_ids(tmp_path, capsys, monkeypatch, argv, stdin, message):
    path = tmp_path / "t.json"
    BPETokenizer(special_tokens=["<e>"]).save(path)  # 256 bytes + 1
    code, out, err = run(["decode", str(path), *argv], capsys, stdin, monkeypatch)
    assert code == 2 and out == "" and message in error_line(err)


@pytest.mark.parametrize(
    "contents, message",
    [
        (b"{not json", "is not valid JSON: Expecting property name"),
        (b"\xff\xfe{}", "is not UTF-8 (byte 0xff at offset 0)"),
        (b'{"type": "BPETokenizer"}', "missing field 'chunk_pattern'"),
        (b'{"type": "Pickle", "data": "..."}', "unknown tokenizer type 'Pickle'"),
        (
            b'{"type": "CharTokenizer", "vocab": {"itos": ["ab"], "specials": [], "unk": null}}',
            "symbol 0 'ab' is not a single character",
        ),
    ],
)
@pytest.mark.parametrize("command", [["encode", "TOK", "hi"], ["decode", "TOK", "1"]])
def test_a_bad_tokenizer_file_is_one_line_and_status_2(tmp_path, capsys, contents, message,
                                                        command):  # fmt: skip
    path = tmp_path / "bad.json"
    path.write_bytes(contents)
    argv = [str(path) if a == "TOK" else a for a in command]
    code, out, err = run(argv, capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("python -m minilm tokenizer: error: ")
    assert str(path) in err and message in err


def test_a_missing_tokenizer_file_or_a_folder(tmp_path, capsys):
    code, _, err = run(["encode", str(tmp_path / "none.json"), "hi"], capsys)
    assert code == 2 and "argument TOKENIZER: no such file" in error_line(err)
    code, _, err = run(["decode", str(tmp_path), "1"], capsys)
    assert code == 2 and "argument TOKENIZER: not a file" in error_line(err)


def test_no_subcommand_or_both_texts(tok_file, capsys):
    code, _, err = run([], capsys)
    assert code == 2 and "the following arguments are required: COMMAND" in error_line(err)
    code, _, err = run(["encode", str(tok_file)], capsys)
    assert code == 2 and "one of the arguments TEXT --text is required" in error_line(err)
    code, _, err = run(["encode", str(tok_file), "hi", "--text", str(tok_file)], capsys)
    assert code == 2 and "not allowed with argument TEXT" in error_line(err)


def test_from_the_shell(tok_file):
    """Through ``python -m minilm tokenizer`` once it is registered, else the module itself."""
    if "tokenizer" in cli.COMMANDS:
        prog = [sys.executable, "-m", "minilm", "tokenizer"]
    else:
        prog = [sys.executable, "-m", "minilm.commands.tokenizer"]
    text = "Thé chat ✓\n"
    enc = subprocess.run([*prog, "encode", str(tok_file), text], capture_output=True,
                         encoding="utf-8", timeout=120)  # fmt: skip
    assert enc.returncode == 0, enc.stderr
    dec = subprocess.run([*prog, "decode", str(tok_file)], input=enc.stdout, capture_output=True,
                         encoding="utf-8", timeout=120)  # fmt: skip
    assert (dec.returncode, dec.stdout) == (0, text)
    bad = subprocess.run([*prog, "decode", str(tok_file), "99999"], capture_output=True,
                         encoding="utf-8", timeout=120)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().endswith("id 99999 is out of range: this tokenizer has 300 tokens, "
                                       "ids 0 to 299")  # fmt: skip
