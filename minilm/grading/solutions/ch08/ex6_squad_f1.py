"""Reference solution: chapters/08_pretraining_finetuning/exercises/ex6_squad_f1.py."""

import re
import string
from collections import Counter


def normalize_answer(text):
    text = text.lower()
    text = "".join(ch for ch in text if ch not in string.punctuation)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _f1(prediction_tokens, gold_tokens):
    overlap = sum((Counter(prediction_tokens) & Counter(gold_tokens)).values())
    if overlap == 0:
        return 0.0
    precision = overlap / len(prediction_tokens)
    recall = overlap / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def em_f1(prediction, golds):
    p = normalize_answer(prediction)
    em = max(float(p == normalize_answer(g)) for g in golds)
    f1 = max(_f1(p.split(), normalize_answer(g).split()) for g in golds)
    return em, float(f1)
