"""Reference solution: chapters/12_deployment_and_safety/exercises/ex7_weat.py."""

import numpy as np


def cosine(u, v):
    return float(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v)))


def association(w, A, B):
    return np.mean([cosine(w, a) for a in A]) - np.mean([cosine(w, b) for b in B])


def effect_size(X, Y, A, B):
    sx = [association(x, A, B) for x in X]
    sy = [association(y, A, B) for y in Y]
    return float((np.mean(sx) - np.mean(sy)) / np.std(sx + sy, ddof=1))
