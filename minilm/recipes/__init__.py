"""Recipes: how each model family is trained and scored on a corpus.

A recipe takes a model from :mod:`minilm.models` and data from :mod:`minilm.data`
and runs :func:`minilm.train.fit` (or its own loop) with the settings that work
for it: :mod:`~minilm.recipes.mlp_lm`, :mod:`~minilm.recipes.rnn_lm`,
:mod:`~minilm.recipes.gpt` (the character LMs), :mod:`~minilm.recipes.word2vec`,
:mod:`~minilm.recipes.translation`, :mod:`~minilm.recipes.finetune`,
:mod:`~minilm.recipes.gan`, :mod:`~minilm.recipes.text_gan`, :mod:`~minilm.recipes.vae`.
The command line (:mod:`minilm.commands`) runs them.
"""
