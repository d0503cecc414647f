"""Text environments: an agent writes one character per step and is rewarded.

The interface is the classic reinforcement-learning loop (Gym's, minus the
truncation flag)::

    obs = env.reset(seed=0)                    # the text written so far: ""
    obs, reward, done, info = env.step("a")    # write one character
    ...                                        # until done; then reset()

An **action** is one of ``env.actions`` (the 26 letters and ``"."``, which
ends the episode), given as the character or as its index in ``env.actions``.
Anything else, or a step after the episode ended, raises an error that says
what to do. The **observation** is the string written so far.

Every environment may **slip**: with probability ``slip`` the letter written is
a uniformly random one instead of the one chosen (``info["slipped"]``), which
makes the environment stochastic; ``reset(seed=...)`` seeds it, so an episode is
reproducible. Two environments with different reward shapes:

- :class:`NameEnv`, sparse: write a real name. Reward 1 at the end of the
  episode if the text is a name in names.txt, else 0; nothing before the end.
- :class:`PatternEnv`, dense: write letters that follow a pattern of consonants
  (``c``) and vowels (``v``), e.g. ``"cvcvc"``. Each letter earns 1 if it is of
  the class the pattern asks for at its position, else 0; the episode ends when
  the pattern is done (or early, at ``"."``).

>>> env = PatternEnv("cv")
>>> env.reset(seed=0)
''
>>> env.step("b")
('b', 1.0, False, {'slipped': False})
>>> env.step("a")
('ba', 1.0, True, {'slipped': False})
"""

from __future__ import annotations

from ..backend import np
from ..data import load_names

__all__ = ["END", "LETTERS", "ACTIONS", "TextEnv", "NameEnv", "PatternEnv", "VOWELS"]

END = "."
LETTERS = "abcdefghijklmnopqrstuvwxyz"
ACTIONS = END + LETTERS
VOWELS = frozenset("aeiou")


class TextEnv:
    """Base class: the episode bookkeeping, action checking and slipping.

    Subclasses set ``max_len`` (letters before the episode is cut off) and
    implement ``_reward(text, letter, done) -> float``, called after each step
    with the text so far and the letter just written (``""`` for ``"."``).
    """

    actions = ACTIONS
    max_len = 12

    def __init__(self, slip: float = 0.0):
        if not 0.0 <= slip <= 1.0:
            raise ValueError(f"{type(self).__name__}: slip must be a probability, got {slip}")
        self.slip = slip
        self._rng = np.random.default_rng()
        self.text, self.done = None, True

    @property
    def num_actions(self) -> int:
        return len(self.actions)

    def action_index(self, action) -> int:
        """The index of ``action`` (a character of ``actions`` or an index), or a clear error."""
        if isinstance(action, str):
            if len(action) == 1 and action in self.actions:
                return self.actions.index(action)
        elif isinstance(action, (int, np.integer)) and not isinstance(action, bool):
            if 0 <= action < len(self.actions):
                return int(action)
        raise ValueError(
            f"{type(self).__name__}.step: invalid action {action!r}; an action is one "
            f"character of {self.actions!r} ('{END}' ends the episode) or its index "
            f"0..{len(self.actions) - 1}"
        )

    def reset(self, seed: int | None = None) -> str:
        """Start an episode; ``seed`` seeds the environment's randomness (slips)."""
        if seed is not None:
            self._rng = np.random.default_rng(seed)
        self.text, self.done = "", False
        return self.text

    def step(self, action):
        """Write one character: returns ``(observation, reward, done, info)``."""
        if self.text is None:
            raise RuntimeError(f"{type(self).__name__}.step: call reset() before step()")
        if self.done:
            raise RuntimeError(
                f"{type(self).__name__}.step: the episode is over ({self.text!r}); "
                "call reset() to start a new one"
            )
        char = self.actions[self.action_index(action)]
        slipped = False
        if char != END and self.slip and self._rng.random() < self.slip:
            char, slipped = LETTERS[self._rng.integers(len(LETTERS))], True
        letter = "" if char == END else char
        self.text += letter
        self.done = char == END or len(self.text) >= self.max_len
        reward = float(self._reward(self.text, letter, self.done))
        return self.text, reward, self.done, {"slipped": slipped}

    def _reward(self, text: str, letter: str, done: bool) -> float:  # pragma: no cover
        raise NotImplementedError


class NameEnv(TextEnv):
    """Write a real name: reward 1 when the episode ends on a name in ``names``
    (default: every name in names.txt), 0 otherwise; no reward before the end.
    An episode ends at ``"."`` or after ``max_len`` letters.

    >>> env = NameEnv()
    >>> _ = env.reset(seed=0)
    >>> [env.step(c)[1] for c in "ava."]
    [0.0, 0.0, 0.0, 1.0]
    """

    def __init__(self, names=None, max_len: int = 12, slip: float = 0.0):
        super().__init__(slip)
        self.names = frozenset(load_names() if names is None else names)
        self.max_len = max_len

    def _reward(self, text, letter, done):
        return 1.0 if done and text in self.names else 0.0


class PatternEnv(TextEnv):
    """Follow a pattern of consonants (``c``) and vowels (``v``): each letter earns 1
    when it is of the class the pattern asks for at its position, else 0. The
    episode ends when the pattern is done, or at ``"."`` (the rest earns nothing).

    >>> env = PatternEnv("vc")
    >>> _ = env.reset()
    >>> env.step("b")[1], env.step("c")[1]
    (0.0, 1.0)
    """

    def __init__(self, pattern: str = "cvcvcv", slip: float = 0.0):
        if not pattern or set(pattern) - {"c", "v"}:
            raise ValueError(f"PatternEnv: pattern must be a non-empty string of 'c' and 'v', "
                             f"got {pattern!r}")  # fmt: skip
        super().__init__(slip)
        self.pattern = pattern
        self.max_len = len(pattern)

    def _reward(self, text, letter, done):
        if not letter:
            return 0.0
        want_vowel = self.pattern[len(text) - 1] == "v"
        return 1.0 if (letter in VOWELS) == want_vowel else 0.0
