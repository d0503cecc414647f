"""Reference solution: chapters/02_math_foundations/exercises/ex2_mutual_information.py."""

from minilm.backend import np


def conditional_entropy(joint):
    pxy = joint / joint.sum()
    px = pxy.sum(axis=1, keepdims=True)
    nz = pxy > 0
    p_y_given_x = pxy[nz] / np.broadcast_to(px, pxy.shape)[nz]
    return float(-(pxy[nz] * np.log(p_y_given_x)).sum())


def mutual_information(joint):
    pxy = joint / joint.sum()
    px = pxy.sum(axis=1, keepdims=True)
    py = pxy.sum(axis=0, keepdims=True)
    nz = pxy > 0
    return float((pxy[nz] * np.log(pxy[nz] / (px * py)[nz])).sum())
