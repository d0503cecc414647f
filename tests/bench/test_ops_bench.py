"""The ops benchmark compares like with like: for every case, minilm's forward
value and input gradients equal the hand-written raw NumPy version's."""

import pytest

from minilm.backend import np
from minilm.bench import ops as bench
from minilm.tensor import as_tensor, tensor


@pytest.mark.parametrize("name", list(bench.cases(256)))
def test_raw_reference_computes_the_same_gradients(name):
    shapes, fn, raw = bench.cases(256)[name]
    gen = np.random.default_rng(0)
    arrays = [gen.standard_normal(s) + (3.0 if name == "div" else 0.0) for s in shapes]
    tensors = [tensor(a.copy(), requires_grad=True) for a in arrays]
    out = fn(*tensors)
    g = gen.standard_normal(out.shape)
    grads = bench._grads(fn, as_tensor(g), *tensors)
    expected = raw(np, g, *arrays)
    np.testing.assert_allclose(out.numpy(), expected[0], rtol=1e-10)
    for ours, theirs in zip(grads, expected[1:]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-12)


def test_main_prints_a_table(capsys):
    assert bench.main(["--sizes", "small", "--ops", "add,matmul", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "add" in out and "matmul" in out and "ratio" in out


def test_unknown_op_is_an_error():
    with pytest.raises(SystemExit):
        bench.main(["--ops", "nope"])
