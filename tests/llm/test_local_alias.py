"""The ``/v1/models`` fix of ``ctp llm-local``, which needs no model: the alias is one string.

llama.cpp's ``CommonParams.model_alias`` became a set of strings; assigning a ``str`` made pybind
store the set of its characters, and ``/v1/models`` reported the model id as "-". (These ran only
under ``-m llm`` before; they belong to the default suite.)
"""

from __future__ import annotations

from app.llm.local import alias_value


def test_model_alias_is_a_one_element_set_when_the_field_is_a_set() -> None:
    assert alias_value(set(), "qwen-1.5b") == {"qwen-1.5b"}  # not the set of its characters


def test_model_alias_stays_a_string_when_the_field_is_a_string() -> None:
    assert alias_value("", "qwen-1.5b") == "qwen-1.5b"
