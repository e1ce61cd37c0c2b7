"""The dialogue eval's issue-13 measures: results on target, and order status answered by an order
intent counting as on topic (strictly, only a policy answer does)."""

from types import SimpleNamespace
from typing import Any

from app.catalog.snapshot import CatalogSnapshot
from app.domain.turn import ConversationState, Filters, Intent, ShoppingTurn
from evals.dialogue import DialogueReport, judge_turn, on_target, topic_ok
from tests.pipeline.fakes import BLACK_HOODIE, DUFFEL, PRODUCTS, ZIP_HOODIE

PIPELINE: Any = SimpleNamespace(catalog=CatalogSnapshot(PRODUCTS, "v1"))


def result(shown: list[str], filters: Filters | None = None, intent: Intent = Intent.search) -> Any:
    record = SimpleNamespace(shown=shown, extraction=ShoppingTurn(intent=intent))
    return SimpleNamespace(
        record=record, state=ConversationState(conversation_id="c", filters=filters or Filters())
    )


def test_results_are_on_target_when_most_shown_are_of_the_wanted_types() -> None:
    expect = {"categories": ["hoodies"]}
    assert on_target(expect, result([BLACK_HOODIE.id, ZIP_HOODIE.id, DUFFEL.id]), PIPELINE)


def test_results_are_off_target_when_a_forbidden_filter_stands_in_for_the_request() -> None:
    expect = {"categories": ["hoodies"], "no_filters": ["gender"]}
    assert not on_target(expect, result([BLACK_HOODIE.id], Filters(gender="men")), PIPELINE)


def test_nothing_shown_is_off_target() -> None:
    assert not on_target({"categories": ["hoodies"]}, result([]), PIPELINE)


def test_order_status_answered_from_the_orders_is_on_topic_but_not_strictly() -> None:
    answered = result([], intent=Intent.order_status)
    expect = {"policy_topic": "order_status"}
    assert (topic_ok(expect, answered), topic_ok(expect, answered, strict=True)) == (True, False)


def policy_result(evidence: str | None) -> Any:
    record = SimpleNamespace(
        shown=[],
        extraction=ShoppingTurn(intent=Intent.policy, topic="returns"),
        answer=None,
        evidence=evidence,
        relaxed=[],
    )
    return SimpleNamespace(record=record, state=ConversationState(conversation_id="c"))


def test_a_policy_answer_is_direct_when_its_first_quote_holds_the_gold_span() -> None:
    expect = {"intent": "policy", "policy_topic": "returns", "policy_quote": "30 days"}
    report = DialogueReport(split="dev2")
    judge_turn(
        expect, policy_result("You can return any unworn item within 30 days of delivery."), PIPELINE, report
    )
    judge_turn(expect, policy_result("Exchanges are handled as a return plus a new order."), PIPELINE, report)
    assert (report.policy_on_topic.hit, report.policy_direct.hit, report.policy_direct.total) == (2, 1, 2)
