"""minilm: a language-model stack written from scratch, for learning.

>>> import minilm
>>> x = minilm.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad.tolist()
[2.0, 4.0, 6.0]
"""

from . import (
    cuda,
    fast,  # noqa: E402 - the registry; its alternatives register below
)
from .backend import np as _np
from .fast import arrays as _fast_arrays
from .fast import cuda as _fast_cuda  # noqa: F401 - they register
from .fast import optim as _fast_optim  # noqa: F401
from .fast import recurrent as _fast_recurrent

if fast.enabled():  # glibc: reuse freed memory (see minilm/fast/memory.py)
    from .fast import memory as _fast_memory

    _fast_memory.keep_freed_memory()
from .functional import log_softmax, softmax  # noqa: E402 - softmax is an op, too
from .ops import *  # noqa: F403 - every op's function: minilm.exp, minilm.sum, ...
from .ops import __all__ as _ops_all
from .tensor import (
    Function,
    Tensor,
    arange,
    as_tensor,
    enable_grad,
    full,
    grad,
    is_grad_enabled,
    manual_seed,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    tensor,
    zeros,
    zeros_like,
)

float16, float32, float64 = _np.float16, _np.float32, _np.float64
int32, int64, bool_ = _np.int32, _np.int64, _np.bool_

__version__ = "0.1.0"


def __getattr__(name):
    # save/load live in minilm.io, which imports nn and optim, and save_model/load_model
    # in minilm.checkpoint, which imports the models: load them on first use
    if name in ("save", "load"):
        from . import io

        return getattr(io, name)
    if name in ("save_model", "load_model"):
        from . import checkpoint

        return getattr(checkpoint, name)
    raise AttributeError(f"module 'minilm' has no attribute {name!r}")
