"""Shapes: a tiny procedurally drawn image-text dataset for multimodal models.

Each example is a *scene* (the ground truth: a list of :class:`Obj`), the RGB
image drawn from it, the caption generated from it, and one question about it
with its answer. Everything comes from one seeded NumPy generator, so the same
``seed`` gives the same arrays and texts, bit for bit.

**Scenes.** One object (half the scenes) or two. An object is a shape in
:data:`SHAPES` (circle, square, triangle), a colour in :data:`COLOURS` (red,
green, blue, yellow) and a position in :data:`POSITIONS` (left, right, top,
bottom); two objects sit left and right, or top and bottom, so they never
overlap. That makes 4 * 3 * 4 = 48 one-object scenes and 2 * 12 * 12 = 288
two-object ones: 336 distinct scenes and captions, so a few thousand
examples repeat every scene many times; the splits share scenes and differ in
the pixel noise and the small shifts (what a model must generalize over).

**Drawing.** The image is (3, S, S) float32 in [0, 1] (S = ``size``, 24 by
default), black background. Each position has a centre (left: row S/2, column
S/4; right: S/2, 3S/4; top: S/4, S/2; bottom: 3S/4, S/2), moved by a random
shift of up to ``S // 24`` pixels each way. With r = S/6 and (dy, dx) a pixel
centre's offset from the object's centre: a circle is dy^2 + dx^2 <= r^2; a
square is |dy|, |dx| <= 0.8 r; a triangle (apex up) is |dx| <= (dy + r) / 2
for -r <= dy <= r (areas about 3.1 r^2, 2.6 r^2 and 2 r^2). The mask's pixels
take the colour's RGB (red 1,0,0; green 0,1,0; blue 0,0,1; yellow 1,1,0);
then Gaussian noise (``noise``, std 0.05) and a clip to [0, 1].

**Captions.** One object: ``a {colour} {shape} on the {position}``. Two:
``a {c1} {s1} above a {c2} {s2}`` (the first on top) or
``a {c1} {s1} left of a {c2} {s2}`` (the first on the left).
:func:`parse_caption` reads the (colour, shape, position) triples back.

**Questions** (one per example; the kind drawn uniformly, see
:func:`question_kind`): ``what colour is the {shape} ?`` (a shape the scene
has once) -> a colour; ``what shape is on the {position} ?`` (an occupied
position) -> a shape; ``is there a {colour} {shape} ?`` -> yes / no, half each
(a "no" names a colour-shape pair not in the scene). A colour question about a
scene with two objects of one shape becomes a shape question, so the mix is
about 28% colour, 39% shape, 33% yes/no. The 9 :data:`ANSWERS` are the 4
colours, the 3 shapes, yes and no. The question alone narrows the answer to
its kind (4, 3 or 2 choices) and says nothing more: "is there a red circle ?"
is as likely for a yes as for a no.

**Vocabulary and ids.** :data:`VOCAB` has 27 words (<pad> = 0, <bos>, <eos>,
the grammar's words, colours, shapes, positions, yes, no); :func:`encode` maps
text to ids and :func:`decode` back. Captions are stored as
``caption_ids`` (n, :data:`CAPTION_LEN` = 10): <bos>, at most 8 words, <eos>,
<pad>s; questions as ``question_ids`` (n, :data:`QUESTION_LEN` = 7),
<pad>-padded; answers as ``answer_ids`` (n,), indices into :data:`ANSWERS`.

**Splits.** :func:`make_split` gives ``"train"``, ``"val"`` and ``"test"``:
:func:`make_dataset` with seeds 3 seed, 3 seed + 1 and 3 seed + 2, so the
splits never share a generator (any size each).

>>> d = make_dataset(4, seed=0)
>>> d.images.shape, d.images.dtype.name, d.caption_ids.shape, d.question_ids.shape
((4, 3, 24, 24), 'float32', (4, 10), (4, 7))
>>> parse_caption("a blue square above a green triangle")
[('blue', 'square', 'top'), ('green', 'triangle', 'bottom')]
"""

from __future__ import annotations

from dataclasses import dataclass

from ..backend import np

__all__ = [
    "COLOURS", "SHAPES", "POSITIONS", "VOCAB", "ANSWERS", "PAD", "BOS", "EOS", "Obj",
    "ShapesData", "make_dataset", "make_split", "draw", "caption", "parse_caption",
    "encode", "decode", "question_kind", "QUESTION_KINDS", "CAPTION_LEN", "QUESTION_LEN",
    "SPLIT_SEEDS",
]  # fmt: skip

COLOURS = {"red": (1.0, 0.0, 0.0), "green": (0.0, 1.0, 0.0), "blue": (0.0, 0.0, 1.0),
           "yellow": (1.0, 1.0, 0.0)}  # fmt: skip
SHAPES = ("circle", "square", "triangle")
POSITIONS = ("left", "right", "top", "bottom")
PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
ANSWERS = (*COLOURS, *SHAPES, "yes", "no")
VOCAB = (PAD, BOS, EOS, "a", "on", "the", "above", "of", "what", "colour", "is", "shape",
         "there", "?", *COLOURS, *SHAPES, *POSITIONS, "yes", "no")  # fmt: skip
_ID = {w: i for i, w in enumerate(VOCAB)}
SPLIT_SEEDS = {"train": 0, "val": 1, "test": 2}


@dataclass(frozen=True)
class Obj:
    """One object of a scene."""

    colour: str
    shape: str
    position: str


def _centre(position: str, size: int) -> tuple[float, float]:
    q, h = size / 4, size / 2
    return {"left": (h, q), "right": (h, 3 * q), "top": (q, h), "bottom": (3 * q, h)}[position]


def draw(scene, size: int = 24, noise: float = 0.05, rng=None, shifts=None) -> np.ndarray:
    """The image (3, size, size) float32 of ``scene`` (a list of :class:`Obj`), drawn
    as the module docstring says. ``shifts``: one (dy, dx) in pixels per object
    (none by default); ``rng``: the noise's NumPy generator (a fresh
    ``default_rng(0)`` when None, so the same call draws the same image).

    >>> img = draw([Obj("red", "square", "left")], noise=0.0)
    >>> img.shape, img[:, 12, 6].tolist(), img[:, 12, 18].tolist()
    ((3, 24, 24), [1.0, 0.0, 0.0], [0.0, 0.0, 0.0])
    """
    img = np.zeros((3, size, size), dtype=np.float32)
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5  # pixel centres
    r = size / 6
    for k, obj in enumerate(scene):
        cy, cx = _centre(obj.position, size)
        if shifts is not None:
            cy, cx = cy + shifts[k][0], cx + shifts[k][1]
        dy, dx = rows - cy, cols - cx
        if obj.shape == "circle":
            mask = dy**2 + dx**2 <= r**2
        elif obj.shape == "square":
            mask = (np.abs(dy) <= 0.8 * r) & (np.abs(dx) <= 0.8 * r)
        elif obj.shape == "triangle":
            mask = (np.abs(dx) <= (dy + r) / 2) & (dy >= -r) & (dy <= r)
        else:
            raise ValueError(f"draw: unknown shape {obj.shape!r}; use one of {SHAPES}")
        img[:, mask] = np.asarray(COLOURS[obj.colour], dtype=np.float32)[:, None]
    if noise > 0:
        rng = np.random.default_rng(0) if rng is None else rng
        img = np.clip(img + rng.normal(0.0, noise, img.shape), 0.0, 1.0).astype(np.float32)
    return img


def caption(scene) -> str:
    """The caption of ``scene`` (grammar in the module docstring); of two objects
    the one on top (or on the left) is named first, whatever the list's order.

    >>> caption([Obj("red", "circle", "bottom"), Obj("blue", "square", "top")])
    'a blue square above a red circle'
    """
    if len(scene) == 1:
        o = scene[0]
        return f"a {o.colour} {o.shape} on the {o.position}"
    if len(scene) == 2:
        a, b = sorted(scene, key=lambda o: POSITIONS.index(o.position))
        if (a.position, b.position) in (("top", "bottom"), ("left", "right")):
            rel = "above" if a.position == "top" else "left of"
            return f"a {a.colour} {a.shape} {rel} a {b.colour} {b.shape}"
    where = [o.position for o in scene]
    raise ValueError(f"caption: a scene is one object, or two at top and bottom or left and "
                     f"right; got {len(scene)} at {where}")  # fmt: skip


def parse_caption(text: str) -> list[tuple[str, str, str]]:
    """The (colour, shape, position) triples a caption names, in its order; []
    when it does not follow the grammar (a generated caption may not).

    >>> parse_caption("a red circle on the left"), parse_caption("a red circle on")
    ([('red', 'circle', 'left')], [])
    """
    w = text.split()
    if len(w) == 6 and w[0] == "a" and w[3:5] == ["on", "the"]:
        triple = (w[1], w[2], w[5])
        ok = w[1] in COLOURS and w[2] in SHAPES and w[5] in POSITIONS
        return [triple] if ok else []
    if len(w) in (7, 8) and w[0] == "a":
        rel, rest = (w[3], w[4:]) if w[3] == "above" else (" ".join(w[3:5]), w[5:])
        if rel not in ("above", "left of") or len(rest) != 3 or rest[0] != "a":
            return []
        (c1, s1), (c2, s2) = w[1:3], rest[1:3]
        if not (c1 in COLOURS and c2 in COLOURS and s1 in SHAPES and s2 in SHAPES):
            return []
        p1, p2 = ("top", "bottom") if rel == "above" else ("left", "right")
        return [(c1, s1, p1), (c2, s2, p2)]
    return []


def _question(scene, rng) -> tuple[str, str]:
    kind = rng.integers(3)
    if kind == 0:
        shapes = [o.shape for o in scene]
        unique = [o for o in scene if shapes.count(o.shape) == 1]
        if unique:
            o = unique[rng.integers(len(unique))]
            return f"what colour is the {o.shape} ?", o.colour
        kind = 1
    if kind == 1:
        o = scene[rng.integers(len(scene))]
        return f"what shape is on the {o.position} ?", o.shape
    present = {(o.colour, o.shape) for o in scene}
    if rng.random() < 0.5:
        c, s = sorted(present)[rng.integers(len(present))]
        return f"is there a {c} {s} ?", "yes"
    absent = [(c, s) for c in COLOURS for s in SHAPES if (c, s) not in present]
    c, s = absent[rng.integers(len(absent))]
    return f"is there a {c} {s} ?", "no"


QUESTION_KINDS = ("colour", "shape", "exists")


def question_kind(question: str) -> str:
    """Which of :data:`QUESTION_KINDS` a question is.

    >>> question_kind("what shape is on the left ?"), question_kind("is there a red circle ?")
    ('shape', 'exists')
    """
    w = question.split()
    if w[:1] == ["what"] and len(w) > 1 and w[1] in ("colour", "shape"):
        return w[1]
    if w[:2] == ["is", "there"]:
        return "exists"
    raise ValueError(f"question_kind: {question!r} is not a shapes question")


def encode(text: str, length: int | None = None, bos: bool = False, eos: bool = False) -> list:
    """Word ids of ``text`` (space-separated words of :data:`VOCAB`), optionally
    with <bos> / <eos>, padded with <pad> (id 0) to ``length``.

    >>> encode("a red circle", length=5)
    [3, 14, 18, 0, 0]
    """
    words = text.split()
    bad = [w for w in words if w not in _ID]
    if bad:
        raise ValueError(f"encode: words {bad} are not in the shapes VOCAB")
    ids = [_ID[BOS]] * bos + [_ID[w] for w in words] + [_ID[EOS]] * eos
    if length is not None:
        if len(ids) > length:
            raise ValueError(f"encode: {len(ids)} ids do not fit length={length}")
        ids += [_ID[PAD]] * (length - len(ids))
    return ids


def decode(ids) -> str:
    """Text of word ids, stopping at <eos> and skipping <pad> / <bos>."""
    words = []
    for i in ids:
        w = VOCAB[int(i)]
        if w == EOS:
            break
        if w not in (PAD, BOS):
            words.append(w)
    return " ".join(words)


CAPTION_LEN = 10  # <bos> + at most 8 words + <eos>
QUESTION_LEN = 7


@dataclass
class ShapesData:
    """``n`` examples: ``images`` (n, 3, S, S) float32; ``scenes`` (lists of
    :class:`Obj`); captions, questions and answers as text and as int64 ids
    (``caption_ids`` (n, 10) = <bos> words <eos> <pad>...; ``question_ids``
    (n, 7), <pad>-padded; ``answer_ids`` (n,), indices into :data:`ANSWERS`)."""

    images: np.ndarray
    scenes: list
    captions: list
    questions: list
    answers: list
    caption_ids: np.ndarray
    question_ids: np.ndarray
    answer_ids: np.ndarray

    def __len__(self) -> int:
        return len(self.scenes)


def _scene(rng) -> list:
    def obj(position):
        colour = list(COLOURS)[rng.integers(len(COLOURS))]
        return Obj(colour, SHAPES[rng.integers(len(SHAPES))], position)

    if rng.random() < 0.5:
        return [obj(POSITIONS[rng.integers(len(POSITIONS))])]
    pair = ("top", "bottom") if rng.random() < 0.5 else ("left", "right")
    return [obj(p) for p in pair]


def make_dataset(n: int, seed: int = 0, size: int = 24, noise: float = 0.05) -> ShapesData:
    """``n`` examples drawn from one seeded NumPy generator: the same seed, the same data.

    >>> a, b = make_dataset(3, seed=5), make_dataset(3, seed=5)
    >>> a.captions == b.captions and bool((a.images == b.images).all())
    True
    """
    if n < 1 or size < 12:
        raise ValueError(f"make_dataset: need n >= 1 and size >= 12, got n={n}, size={size}")
    rng = np.random.default_rng(seed)
    shift = size // 24
    images, scenes, caps, qs, ans = [], [], [], [], []
    for _ in range(n):
        scene = _scene(rng)
        shifts = rng.integers(-shift, shift + 1, size=(len(scene), 2))
        images.append(draw(scene, size, noise, rng, shifts))
        q, a = _question(scene, rng)
        scenes.append(scene)
        caps.append(caption(scene))
        qs.append(q)
        ans.append(a)
    return ShapesData(
        images=np.stack(images),
        scenes=scenes,
        captions=caps,
        questions=qs,
        answers=ans,
        caption_ids=np.asarray(
            [encode(c, CAPTION_LEN, bos=True, eos=True) for c in caps], dtype=np.int64
        ),
        question_ids=np.asarray([encode(q, QUESTION_LEN) for q in qs], dtype=np.int64),
        answer_ids=np.asarray([ANSWERS.index(a) for a in ans], dtype=np.int64),
    )


def make_split(split: str, n: int, seed: int = 0, **kwargs) -> ShapesData:
    """Split ``"train"``, ``"val"`` or ``"test"``: :func:`make_dataset` with seed
    ``3 * seed + SPLIT_SEEDS[split]``, so the splits never share a generator."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"make_split: unknown split {split!r}; use one of {list(SPLIT_SEEDS)}")
    return make_dataset(n, 3 * seed + SPLIT_SEEDS[split], **kwargs)
