"""The one-minute demo trains a neural bigram to the counted bigram's loss."""

import argparse
import re

from minilm import demo


def test_demo_learns_the_bigram_statistics(capsys):
    parser = argparse.ArgumentParser()
    demo.add_arguments(parser)
    assert demo.main(parser.parse_args(["--steps", "150", "--no-progress"])) == 0
    out = capsys.readouterr().out
    counted = float(re.search(r"bigram, counted \(add-1\)\s+\S+\s+(\S+)", out).group(1))
    neural = float(re.search(r"bigram, neural \(Adam, cosine\)\s+\S+\s+(\S+)", out).group(1))
    assert counted < 2.5  # the counted bigram on names: about 2.45 nats/char
    assert neural < counted + 0.05  # gradient descent finds (nearly) the same table
    assert "sampled from the neural bigram:" in out
