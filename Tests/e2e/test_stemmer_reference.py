"""The search's Russian stemmer (Sources/Domain/Text/RussianStemmer.swift, run through `consumerdesk stem`)
against the reference Snowball implementation (PyPI snowballstemmer) over more than 20,000 word forms:
every word of the shipped classifier, and each of their bases with the endings the algorithm knows
(gerunds, reflexives, adjectives, participles, verbs, nouns, superlatives, derivational suffixes)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import snowballstemmer

REPO_ROOT = Path(__file__).resolve().parents[2]

ENDINGS = (
    "в вши вшись ив ивши ившись ыв ывши ывшись ся сь ее ие ые ое ими ыми ей ий ый ой ем им ым ом его ого ему ому их ых "
    "ую юю ая яя ою ею ающий ающего ившая ывшие ующим ющий нная нные ла на ете йте ли й л н ло но ет ют ны ть ешь нно "
    "ила ыла ена ейте уйте ите или ыли уй ил ыл ен ило ыло ено ят ует уют ит ыт ены ить ыть ишь ю а ев ов ье е иями ями "
    "ами еи ии и ией иям ям ием ам о у ах иях ях ы ь ию ью ия ья я ейший ейшая ейше ость ости остью ост нн ннн ется ются "
    "ался алась ались ался ёт ённый ёнка"
).split()


def word_forms() -> list[str]:
    text = (REPO_ROOT / "Resources/Classifier/classifier.json").read_text(encoding="utf-8").lower()
    words = sorted(set(re.findall(r"[а-яё]+", text)))
    forms = set(words)
    # Every base gets eight endings, chosen in rotation so that all endings meet all kinds of bases.
    for index, word in enumerate(words):
        for cut in (0, 1, 2):
            base = word[: len(word) - cut] if cut else word
            if len(base) < 2:
                continue
            forms.update(base + ENDINGS[(index * 13 + cut * 5 + k * 17) % len(ENDINGS)] for k in range(8))
    return sorted(forms)


def test_the_stemmer_matches_the_reference_implementation() -> None:
    forms = word_forms()
    assert len(forms) >= 20_000, f"only {len(forms)} word forms"
    binary = os.environ.get("CONSUMERDESK_BIN", str(REPO_ROOT / ".build/debug/consumerdesk"))
    env = dict(os.environ, SQLITE_PATH=":memory:", DEMO="false", LOG_LEVEL="error")
    result = subprocess.run(
        [binary, "stem"], input="\n".join(forms) + "\n", capture_output=True, text=True, cwd=REPO_ROOT, env=env,
        timeout=120, check=True)
    ours = result.stdout.split("\n")[: len(forms)]
    reference = snowballstemmer.stemmer("russian").stemWords(forms)
    wrong = [(form, mine, theirs) for form, mine, theirs in zip(forms, ours, reference) if mine != theirs]
    assert len(ours) == len(forms), f"{len(ours)} stems for {len(forms)} words; stderr: {result.stderr[-500:]}"
    assert not wrong, f"{len(wrong)} of {len(forms)} differ, e.g. (word, ours, reference): {wrong[:15]}"
