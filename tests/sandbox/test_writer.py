"""The sandbox model's letter writer, without a server."""

from __future__ import annotations

import random

from app.sandbox.writer import LetterWriter, estimate_tokens, read_prompt, word_chunks

PROMPT = """Write a cover letter for this job.

Job title: Data pipeline on Airflow
Client: Initech
Job skills: Python, Airflow, SQL

About me:
Name: Lee Park
Matching skills: Python, Airflow
Relevant portfolio:
- ETL for a fintech: nightly loads of 40M rows
- Reporting warehouse: dbt models on Snowflake

Instructions: Make it shorter.
"""


def test_reads_the_labelled_facts() -> None:
    facts = read_prompt("", PROMPT)
    assert facts.title == "Data pipeline on Airflow"
    assert facts.client == "Initech"
    assert facts.skills == ["Python", "Airflow"]  # the matching ones win over the job's
    assert facts.name == "Lee Park"
    assert facts.portfolio[0] == ("ETL for a fintech", "nightly loads of 40M rows")
    assert facts.shorter and not facts.formal and facts.question is None


def test_a_prompt_without_facts_still_gets_a_letter() -> None:
    letter = LetterWriter(0).compose("", "Please write me something nice.")
    assert letter.startswith(("Hi,", "Hello,"))
    assert "your project" in letter


def test_letters_are_deterministic_per_seed_and_vary_across_seeds() -> None:
    assert LetterWriter(1).compose("", PROMPT) == LetterWriter(1).compose("", PROMPT)
    letters = {LetterWriter(seed).compose("", PROMPT) for seed in range(8)}
    assert len(letters) > 3


def test_a_screening_question_gets_an_answer_not_a_letter() -> None:
    answer = LetterWriter(0).compose("", "Matching skills: Go\nScreening question: How many years?")
    assert "Go" in answer and "\n" not in answer


def test_chunks_rebuild_the_text_exactly() -> None:
    text = "Hello there,\n\nfirst  line.\nSecond line!  \n"
    chunks = word_chunks(text, random.Random(3))
    assert "".join(chunks) == text
    assert all(1 <= len(c.split()) <= 3 for c in chunks)
    assert word_chunks("", random.Random(0)) == []


def test_token_estimate() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("a" * 401) == 101
