"""Model families (architectures and their configs), each in its own module:
``from minilm.models import GPT``. How each is trained lives in :mod:`minilm.recipes`.

>>> from minilm.models import GPT, GPTConfig
>>> GPT(GPTConfig(vocab_size=5, block_size=4, n_layer=1, n_head=1, n_embd=8)).num_parameters()
960
"""

from .bert import BERT, BERTConfig, mask_tokens
from .gan import GAN, GANConfig
from .gpt import GPT, GPTConfig
from .mlp_lm import MLPLM, MLPLMConfig
from .rnn_classifier import RNNClassifier, RNNClassifierConfig
from .rnn_lm import RNNLM, RNNLMConfig
from .seq2seq import Seq2Seq, Seq2SeqConfig, SequenceAutoencoder
from .text_gan import TextGAN, TextGANConfig
from .textcnn import TextCNN, TextCNNConfig
from .transformer import Transformer, TransformerConfig
from .vae import NameVAE, VAEConfig
from .word2vec import Word2Vec, Word2VecConfig

__all__ = ["GPT", "GPTConfig", "BERT", "BERTConfig", "mask_tokens", "Transformer",
           "TransformerConfig", "MLPLM", "MLPLMConfig", "RNNLM", "RNNLMConfig",
           "Word2Vec", "Word2VecConfig", "Seq2Seq", "Seq2SeqConfig",
           "SequenceAutoencoder", "GAN", "GANConfig", "TextGAN", "TextGANConfig", "NameVAE",
           "VAEConfig", "TextCNN", "TextCNNConfig", "RNNClassifier",
           "RNNClassifierConfig"]  # fmt: skip
