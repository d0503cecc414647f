"""Exercise 7 of chapter 09 (the distillation loss and its gradient) graded in
the sandbox with the answer taken from minilm by each route its grader refuses:
autograd for the gradient, or the library's softmax, log-softmax, logsumexp,
KL, cross-entropy or NLL for a term of the loss. Each must be refused (0
points); the reference solution, run the same way, keeps full marks."""

import pytest

from minilm.grading.discover import Exercise
from minilm.grading.runner import grade_exercise

SOLUTION = Exercise("ch09", "ex7_distillation_loss", None).solution_path

# The reference solution's hand-written log-softmax, replaced by one library call
# each: the submission is then still right, and only the refusal can fail it.
HELPER = """def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))
"""
ROUTES = {
    "Tensor.log_softmax": "def _log_softmax(z):\n"
    "    return minilm.tensor(z).log_softmax(axis=1).numpy()\n",
    "Tensor.softmax": HELPER.replace("def _log_softmax", "def _mine")
    + "def _log_softmax(z):\n    minilm.tensor(z).softmax(axis=1)\n    return _mine(z)\n",
    "ops.logsumexp": "def _log_softmax(z):\n"
    "    return z - minilm.ops.logsumexp(minilm.tensor(z), axis=1, keepdims=True).numpy()\n",
    "Tensor.logsumexp": "def _log_softmax(z):\n"
    "    return z - minilm.tensor(z).logsumexp(axis=1, keepdims=True).numpy()\n",
    "ensemble.logsumexp": "from minilm.ensemble import logsumexp\n"
    "def _log_softmax(z):\n    return z - logsumexp(z, 1)\n",
    "LogSoftmax.forward": "from minilm.ops.composite import LogSoftmax\n"
    "def _log_softmax(z):\n    return LogSoftmax(axis=1).forward(z)\n",
    "fast softmax_forward": "import types\nfrom minilm.fast import arrays\n"
    + HELPER.replace("def _log_softmax", "def _mine")
    + "def _log_softmax(z):\n"
    "    arrays.softmax_forward(types.SimpleNamespace(mask=None, axis=1), z)\n"
    "    return _mine(z)\n",
    "F.nll_loss": "import minilm.functional as F\n"
    + HELPER.replace("def _log_softmax", "def _mine")
    + "def _log_softmax(z):\n"
    "    F.nll_loss(minilm.tensor(_mine(z)), np.zeros(len(z), dtype=np.int64))\n"
    "    return _mine(z)\n",
    "info.kl_divergence": "from minilm.info import kl_divergence\n"
    + HELPER.replace("def _log_softmax", "def _mine")
    + "def _log_softmax(z):\n    kl_divergence(np.exp(_mine(z)), np.exp(_mine(z)))\n"
    "    return _mine(z)\n",
    "info.cross_entropy": "from minilm import info\n"
    + HELPER.replace("def _log_softmax", "def _mine")
    + "def _log_softmax(z):\n    info.cross_entropy(np.exp(_mine(z)), np.exp(_mine(z)))\n"
    "    return _mine(z)\n",
}

AUTOGRAD = """import minilm
from minilm.backend import np


def distillation_loss(student_logits, teacher_logits, targets, temperature, alpha):
    s = minilm.tensor(student_logits, requires_grad=True)
    T, N = temperature, student_logits.shape[0]

    def log_softmax(z):
        z = z - minilm.tensor(z.numpy().max(axis=1, keepdims=True))
        return z - z.exp().sum(axis=1, keepdims=True).log()

    log_p = log_softmax(minilm.tensor(teacher_logits / T))
    log_q = log_softmax(s / T)
    kl = (log_p.exp() * (log_p - log_q)).sum() / N
    onehot = np.zeros_like(student_logits)
    onehot[np.arange(N), targets] = 1.0
    ce = -(log_softmax(s) * minilm.tensor(onehot)).sum() / N
    loss = kl * (alpha * T**2) + ce * (1 - alpha)
    loss.backward()
    return float(loss.item()), s.grad.numpy()
"""


def _grade(tmp_path, source):
    path = tmp_path / "ex7_distillation_loss.py"
    path.write_text(source)
    return grade_exercise(Exercise("ch09", "ex7_distillation_loss", path))


def test_the_reference_solution_run_this_way_keeps_full_marks(tmp_path):
    result = _grade(tmp_path, SOLUTION.read_text())
    assert result.status == "passed" and result.score == result.total > 0


@pytest.mark.parametrize("route", ["autograd", *ROUTES])
def test_a_submission_using_the_library_is_refused(tmp_path, route):
    solution = SOLUTION.read_text()
    assert HELPER in solution  # else the substitutions below test nothing
    if route == "autograd":
        source = AUTOGRAD
    else:
        source = solution.replace(HELPER, ROUTES[route]).replace(
            "from minilm.backend import np",
            "import minilm\nimport minilm.ops\nfrom minilm.backend import np",
        )
    result = _grade(tmp_path, source)
    assert result.status == "refused" and result.score == 0, (route, result.status, result.error)
