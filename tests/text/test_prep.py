"""Text normalization and the cleaning pipeline (minilm.text.prep).

Expected strings are written by hand from the Unicode tables (code points named
in the comments); the idempotence and "result is in the form" properties are
checked against :mod:`unicodedata` itself.
"""

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minilm.text.prep import (
    CLEAN,
    Pipeline,
    clean,
    collapse_whitespace,
    lowercase,
    mask_emails,
    mask_numbers,
    mask_urls,
    nfc,
    nfkc,
    normalize,
    remove_control,
    repair_cp1252,
    strip_accents,
    strip_tags,
    unescape_html,
)

E_ACUTE = "\u00e9"  # é, one code point
E_COMBINING = "e\u0301"  # e + COMBINING ACUTE ACCENT


def test_nfc_composes_a_base_letter_and_a_combining_accent():
    assert len(E_COMBINING) == 2
    assert normalize(E_COMBINING) == E_ACUTE
    assert normalize("Cafe\u0301") == "Caf\u00e9"
    assert nfc("A\u030a") == "\u00c5"  # A + COMBINING RING ABOVE -> Å


def test_nfc_keeps_compatibility_characters_and_nfkc_folds_them():
    text = "\ufb01nd \uff11\uff12 x\u00b2 \u2460"  # ﬁ ligature, full-width 1 2, superscript 2, ①
    assert normalize(text, form="NFC") == text
    assert normalize(text, form="NFKC") == "find 12 x2 1"
    assert nfkc("\ufb00") == "ff"
    assert nfkc("\uff21\uff22\uff43") == "ABc"  # full-width Latin letters


def test_nfkc_turns_no_break_spaces_into_spaces_nfc_leaves_them_for_whitespace():
    text = "oui\u202f! non\u00a0?"  # narrow no-break space, no-break space (eng-fra)
    assert nfkc(text) == "oui ! non ?"
    assert nfc(text) == text
    assert normalize(text, whitespace=False) == text
    assert normalize(text) == "oui ! non ?"  # str.isspace accepts both


def test_decomposed_forms():
    assert normalize(E_ACUTE, form="NFD") == E_COMBINING
    assert normalize("\ufb01", form="NFKD") == "fi"
    assert normalize(E_COMBINING, form=None) == E_COMBINING


def test_lower_and_strip_accents():
    assert normalize("Crème BRÛLÉE", lower=True) == "crème brûlée"
    assert normalize("Crème BRÛLÉE", lower=True, strip_accents=True) == "creme brulee"
    assert normalize("Ångström", strip_accents=True) == "Angstrom"
    assert strip_accents("na\u00efve Z\u00fcrich") == "naive Zurich"
    # letters that are not a base letter + a mark stay
    assert strip_accents("\u00f8 \u0142 \u00df") == "\u00f8 \u0142 \u00df"
    assert normalize("Stra\u00dfe", lower=True) == "stra\u00dfe"  # lower, not casefold


def test_lowercasing_dotted_capital_i_stays_in_nfc():
    # U+0130 lowercases to "i" + U+0307 (COMBINING DOT ABOVE), two code points
    assert "\u0130".lower() == "i\u0307"
    assert normalize("\u0130", lower=True) == "i\u0307"
    assert unicodedata.is_normalized("NFC", lowercase("\u0130STANBUL"))


def test_lowercasing_can_make_a_composable_pair_so_the_form_is_applied_again():
    # there is no capital J with caron, so "J" + U+030C (COMBINING CARON) is NFC; its
    # lowercase "j" + U+030C composes to U+01F0 (LATIN SMALL LETTER J WITH CARON)
    assert unicodedata.normalize("NFC", "J\u030c") == "J\u030c"
    assert normalize("J\u030c", lower=True) == "\u01f0"
    assert lowercase("J\u030cAN") == "\u01f0an"
    assert normalize("T\u0308", lower=True) == "\u1e97"  # LATIN SMALL LETTER T WITH DIAERESIS


def test_whitespace_collapses_and_ends_are_stripped():
    assert normalize("  a \t b\n\n c  ") == "a b c"
    assert normalize("a\u3000b") == "a b"  # ideographic space
    assert normalize("  a \t b ", whitespace=False) == "  a \t b "
    assert collapse_whitespace("\n\t ") == ""
    assert normalize("") == ""


def test_normalize_refuses_bad_arguments():
    with pytest.raises(ValueError, match="form must be one of"):
        normalize("x", form="nfc")
    with pytest.raises(TypeError, match="must be a str, got bytes"):
        normalize(b"x")


OPTIONS = st.fixed_dictionaries(
    {
        "form": st.sampled_from(["NFC", "NFKC", "NFD", "NFKD", None]),
        "lower": st.booleans(),
        "strip_accents": st.booleans(),
        "whitespace": st.booleans(),
    }
)
# all of Unicode but surrogates, and text made of the characters these steps are about
CHARS = st.characters(blacklist_categories=("Cs",))
TRICKY = st.sampled_from(list("eEiIAa \t\n\u0301\u0307\u030a\u0130\u00df\ufb01\uff11\u00a0"
                              "\u1e9e\u0345\u00b4"))  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(CHARS), st.text(TRICKY)), OPTIONS)
def test_normalize_is_idempotent(s, options):
    once = normalize(s, **options)
    assert normalize(once, **options) == once


@settings(max_examples=200, deadline=None)
@given(st.text(CHARS), OPTIONS)
def test_the_result_is_in_the_requested_form(s, options):
    out = normalize(s, **options)
    if options["form"] is not None:
        assert unicodedata.is_normalized(options["form"], out)
    if options["strip_accents"]:
        assert not any(unicodedata.combining(c) for c in unicodedata.normalize("NFD", out))
    if options["whitespace"]:
        assert out == out.strip() and "  " not in out
        assert all(c == " " or not c.isspace() for c in out)


# --- the cleaning steps ---


def test_remove_control_keeps_whitespace_and_joiners():
    assert remove_control("a\x00b\x07c\x1bd") == "abcd"
    assert remove_control("soft\u00adhy zero\u200bwidth \ufeffbom") == "softhy zerowidth bom"
    assert remove_control("\u200e\u202eltr rtl") == "ltr rtl"  # bidi marks and overrides (Cf)
    assert remove_control("a\tb\nc\rd") == "a\tb\nc\rd"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # an emoji ZWJ sequence
    assert remove_control(family) == family
    assert remove_control("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645") == (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # Persian: the ZWNJ stays
    )


def test_repair_cp1252_reads_c1_controls_as_windows_punctuation():
    # cp1252: 0x96 en dash, 0x97 em dash, 0x85 ellipsis, 0x91/0x92 single quotes,
    # 0x93/0x94 double quotes, 0x80 euro sign, 0x99 trade mark
    assert repair_cp1252("a \x96 b\x97c\x85") == "a \u2013 b\u2014c\u2026"
    assert repair_cp1252("\x91x\x92 \x93y\x94") == "\u2018x\u2019 \u201cy\u201d"
    assert repair_cp1252("\x80 5\x99") == "\u20ac 5\u2122"
    assert repair_cp1252("\x81\x8d\x8f\x90\x9d") == "\x81\x8d\x8f\x90\x9d"  # undefined in cp1252
    assert repair_cp1252("caf\u00e9 \u2013") == "caf\u00e9 \u2013"  # anything else is left alone


def test_the_bundled_imdb_sentences_have_c1_dashes_that_the_repair_fixes():
    from minilm.data import load_sentiment

    imdb = [s for s, _ in load_sentiment("imdb")]
    broken = [s for s in imdb if any("\x80" <= c <= "\x9f" for c in s)]
    assert len(broken) == 8  # 5 x 0x96, 2 x 0x85, 1 x 0x97 (counted in the data files)
    fixed = [repair_cp1252(s) for s in broken]
    assert not any("\x80" <= c <= "\x9f" for s in fixed for c in s)
    assert "The script is\u2026was there a script?" in fixed


def test_strip_tags_and_unescape_html():
    assert strip_tags("Good.<br /><br/>Bad.") == "Good.  Bad."
    assert strip_tags('<a href="x">link</a>!') == " link !"
    assert strip_tags("<!-- note -->ok") == " ok"
    assert strip_tags("1 < 2 and 3 > 2, <3") == "1 < 2 and 3 > 2, <3"
    assert unescape_html("&amp; &lt;b&gt; &quot;q&quot; &#233; &#xe9; &eacute;") == (
        '& <b> "q" \u00e9 \u00e9 \u00e9'
    )
    assert unescape_html("&nbsp;") == "\u00a0"
    assert unescape_html("AT&T") == "AT&T"


def test_an_escaped_tag_survives_the_default_order():
    # tags are stripped before entities are decoded, so "&lt;b&gt;" is text
    assert clean("x &lt;b&gt; y <b>z</b>") == "x <b> y z"


def test_masks():
    assert mask_urls("go to http://a.b/c?d=1&e=2, then https://x.org.") == (
        "go to <url>, then <url>."
    )
    assert mask_urls("(see www.site.com/page)") == "(see <url>)"
    assert mask_urls("no url: http or www") == "no url: http or www"
    assert mask_emails("mail a.b+c@ex-ample.co.uk or @handle") == "mail <email> or @handle"
    assert mask_numbers("7 of 10, 1,000.5 or 3.14; 2nd mp3 R2D2") == (
        "<num> of <num>, <num> or <num>; 2nd mp3 R2D2"
    )
    assert mask_numbers("\u0663 apples", mask="N") == "N apples"  # ARABIC-INDIC DIGIT THREE
    assert mask_urls("http://a.b", mask="U") == "U"


def test_the_default_pipeline_step_by_step():
    raw = "  It\x96s <b>GREAT</b> &amp; \ufb01ne: 10/10, www.x.com or me@x.org  "
    assert CLEAN.names == ["strip_tags", "unescape_html", "repair_cp1252", "nfkc",
                           "remove_control", "mask_urls", "mask_emails", "mask_numbers",
                           "lowercase", "collapse_whitespace"]  # fmt: skip
    trace = dict(CLEAN.trace(raw))
    assert trace["input"] == raw
    assert trace["strip_tags"] == "  It\x96s  GREAT  &amp; \ufb01ne: 10/10, www.x.com or me@x.org  "
    assert trace["unescape_html"] == "  It\x96s  GREAT  & \ufb01ne: 10/10, www.x.com or me@x.org  "
    assert trace["repair_cp1252"].startswith("  It\u2013s")
    assert trace["nfkc"] == "  It\u2013s  GREAT  & fine: 10/10, www.x.com or me@x.org  "
    assert trace["mask_numbers"] == "  It\u2013s  GREAT  & fine: <num>/<num>, <url> or <email>  "
    assert trace["lowercase"] == "  it\u2013s  great  & fine: <num>/<num>, <url> or <email>  "
    assert clean(raw) == "it\u2013s great & fine: <num>/<num>, <url> or <email>"


def test_pipeline_names_order_and_errors():
    p = Pipeline([str.strip, ("shout", str.upper), ("exclaim", lambda s: s + "!")])
    assert p.names == ["strip", "shout", "exclaim"]
    assert p("  hi ") == "HI!"
    assert p.without("shout")("  hi ") == "hi!"
    assert p.then(("twice", lambda s: s * 2))(" a") == "A!A!"
    assert Pipeline([])("same") == "same"
    assert repr(p) == "Pipeline(['strip', 'shout', 'exclaim'])"
    assert CLEAN.describe().split("\n")[0] == (
        '1. strip_tags: Replace each HTML/XML tag (``<br />``, ``<p class="x">``, ``</b>``) '
        "by a space."
    )
    with pytest.raises(ValueError, match=r"no step named 'upper'; the steps are \['strip'"):
        p.without("upper")
    with pytest.raises(ValueError, match="two steps are named 'strip'"):
        Pipeline([str.strip, str.strip])
    with pytest.raises(TypeError, match="a step is a function or a"):
        Pipeline(["lower"])
    with pytest.raises(TypeError, match="step 'count' returned a int, not a str"):
        Pipeline([("count", len)])("abc")
    with pytest.raises(TypeError, match="text must be a str, got NoneType"):
        CLEAN(None)


def test_the_order_of_steps_matters():
    # masking numbers first would mask the URL's digits, and the "<" of "<num>" ends the URL
    text = "see http://x.org/2024/10 now"
    assert Pipeline([mask_urls, mask_numbers])(text) == "see <url> now"
    assert Pipeline([mask_numbers, mask_urls])(text) == "see <url><num>/<num> now"
    # cp1252 repair must come before control removal, or the dash is lost
    assert Pipeline([remove_control, repair_cp1252])("a\x96b") == "ab"
    assert Pipeline([repair_cp1252, remove_control])("a\x96b") == "a\u2013b"
