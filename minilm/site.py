"""The course as a static website: a page per chapter (its README, its figures,
then its notebook, with outputs when executed notebooks are given), the course's
table of contents as the home page, and an API reference from the docstrings.

    python -m minilm.course build OUT/ [--executed DIR] [--chapters 03 10]

Sphinx with myst-nb renders it (the ``[docs]`` extra). Everything it needs comes
with the build: the math renders with a copy of MathJax 2.7 and its fonts (from
the ``jupyter-server-mathjax`` package), and the theme loads no web fonts, so the
site works offline and from any static host.
"""

from __future__ import annotations

import re
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

__all__ = ["build_site", "API_MODULES"]

API_MODULES = ("minilm", "minilm.nn", "minilm.functional", "minilm.optim", "minilm.grading")

_MATHJAX_CONFIG = {  # MathJax 2: typeset only what Sphinx marks as math, with the bundled fonts
    "tex2jax": {"ignoreClass": "document", "processClass": "math"},
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web",
                 "imageFont": None},
    "messageStyle": "none",
}  # fmt: skip


def _chapter_page(readme: str, figures: list[Path]) -> str:
    """The chapter's README as the site's page, with a link to its notebook's page
    (which hangs below it) under "The notebook", and its figures at the end."""
    # a link to another chapter's README goes to that chapter's page
    readme = re.sub(r"\]\(\.\./(\d\d_\w+)/README\.md", r"](../\1/index.md", readme)
    link = "[Read the notebook on this site](lesson.ipynb)."
    heading = "\n## The notebook\n"
    if heading in readme:
        text = readme.replace(heading, f"{heading}\n{link}\n", 1)
    else:
        text = f"{readme}\n{heading}\n{link}\n"
    if figures:
        text += "\n## Figures\n\n" + "".join(f"![{f.stem}](figures/{f.name})\n\n" for f in figures)
    return text + "\n```{toctree}\n:hidden:\n\nlesson\n```\n"


def _home_page(toc: str, slugs: list[str]) -> str:
    """``chapters/README.md`` with its chapter links pointing at the chapter pages."""
    for slug in slugs:
        toc = toc.replace(f"]({slug}/)", f"]({slug}/index.md)")
    toc = re.sub(r"\[([^]]+)\]\(\.\./README\.md[^)]*\)", r"\1", toc)  # not on the site
    entries = "\n".join(f"{slug}/index" for slug in slugs)
    return f"{toc}\n\n```{{toctree}}\n:hidden:\n\n{entries}\napi\n```\n"


def _public(module_name: str) -> str:
    """A module's public functions and classes: its ``__all__``, else what it
    defines or re-exports from minilm (the top level re-exports its entry points)."""
    import importlib
    import inspect

    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None) or [
        name
        for name, obj in vars(module).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__.startswith("minilm")
    ]
    return ", ".join(names)


def _api_page() -> str:
    blocks = "".join(
        f"## `{m}`\n\n```{{eval-rst}}\n.. automodule:: {m}\n   :members: {_public(m)}\n```\n\n"
        for m in API_MODULES
    )
    return "# API reference\n\nFrom the docstrings of minilm's main modules.\n\n" + blocks


def build_site(
    out: Path,
    root: Path | None = None,
    executed: Path | None = None,
    chapters: list[str] | None = None,
    quiet: bool = True,
) -> Path:
    """Write the website to ``out`` and return the path of its home page.

    ``executed`` is a folder of executed notebooks (``NN_slug.ipynb``, e.g. what
    ``MINILM_EXECUTED_NOTEBOOKS`` makes tests/test_chapters.py save); chapters
    without one show the committed notebook, without outputs. ``chapters`` keeps
    only the chapters whose folder name starts with one of these prefixes.
    ``quiet=False`` prints Sphinx's warnings (e.g. a docstring it cannot parse).
    """
    try:
        import jupyter_server_mathjax  # MathJax 2.7 with its fonts, as package data
        import myst_nb  # noqa: F401
        from sphinx.application import Sphinx
    except ImportError as err:
        raise ImportError(f"the course website needs pip install 'minilm[docs]' ({err})") from None

    from minilm import course

    root = Path(root or course.repo_root())
    out = Path(out)
    lessons = [
        lesson
        for lesson in course.lessons(root)
        if not chapters or lesson.parent.name.startswith(tuple(chapters))
    ]
    with tempfile.TemporaryDirectory(prefix="minilm-site-") as tmp:
        src = Path(tmp) / "src"
        for lesson in lessons:
            chapter, slug = lesson.parent, lesson.parent.name
            page = src / slug
            figures = sorted((chapter / "figures").glob("*.png"))
            if figures:
                shutil.copytree(chapter / "figures", page / "figures")
            page.mkdir(parents=True, exist_ok=True)
            readme = (chapter / "README.md").read_text()
            (page / "index.md").write_text(_chapter_page(readme, figures))
            notebook = Path(executed or "", f"{slug}.ipynb")
            if not (executed and notebook.exists()):
                notebook = course.notebook_path(lesson, root)
            shutil.copy(notebook, page / "lesson.ipynb")
        toc = (root / "chapters" / "README.md").read_text()
        (src / "index.md").write_text(_home_page(toc, [les.parent.name for les in lessons]))
        (src / "api.md").write_text(_api_page())
        # without the speech-rule engine, which would fetch its rules from a CDN (it
        # serves only the opt-in speech explorer of MathJax's accessibility menu)
        mathjax = Path(jupyter_server_mathjax.__file__).parent / "static"
        skip = shutil.ignore_patterns("mathjax-sre.js")
        shutil.copytree(mathjax, src / "_static" / "mathjax", ignore=skip)

        config = {
            "project": "minilm",
            "html_title": "minilm: the course",
            "extensions": ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax"],
            "myst_enable_extensions": ["dollarmath"],
            "myst_update_mathjax": False,
            "myst_heading_anchors": 3,
            "nb_execution_mode": "off",
            "nb_execution_cache_path": str(Path(tmp) / "jupyter_cache"),
            "html_static_path": ["_static"],
            "mathjax_path": "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full",
            "mathjax2_config": _MATHJAX_CONFIG,
            "html_theme_options": {"show_powered_by": False, "page_width": "1180px"},
            "html_show_sphinx": False,
            "html_copy_source": False,
            "autodoc_member_order": "bysource",
            # links to what has no page here (the main README, a chapter left out
            # by --chapters) stay plain text
            "suppress_warnings": ["myst.xref_missing", "myst.header", "misc.highlighting_failure"],
        }
        with warnings.catch_warnings():  # the tools' deprecations are not the reader's
            for category in (DeprecationWarning, PendingDeprecationWarning):
                warnings.simplefilter("ignore", category)
            app = Sphinx(
                str(src), None, str(out), str(Path(tmp) / "doctrees"), "html",
                confoverrides=config, status=None, warning=None if quiet else sys.stderr,
            )  # fmt: skip
            app.build()
    return out / "index.html"
