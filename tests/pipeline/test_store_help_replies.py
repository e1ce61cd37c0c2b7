"""Store-help replies: the sentence that answers comes first and is the reply's evidence; a store
question the policy does not cover is answered honestly, never guessed."""

from app.pipeline.respond_help import CAN_DO, HelpReplies
from app.policy.document import load_policy
from app.policy.router import NOT_COVERED, TOPICS

HELP = HelpReplies(policy=load_policy(required=TOPICS))


def test_with_no_sentence_singled_out_the_sections_lead_sentence_answers_first() -> None:
    reply = HELP.store_help("returns", "restocking fee?")
    assert reply.evidence == "You can return any unworn item within 30 days of delivery for a full refund."
    assert reply.text.startswith(
        f"From our store policy (Returns and refunds): {reply.evidence}\nAlso in that section: "
    )


def test_a_question_the_policy_does_not_cover_is_said_to_be_uncovered_with_who_can_tell() -> None:
    reply = HELP.store_help(NOT_COVERED, "is there a warranty?")
    assert reply.text == (
        "Our store policy doesn't say anything about that, so I can't promise either way. "
        "Our customer service can tell you: Our customer service team is available by e-mail at "
        "help@demo-store.example and by phone at +1 555 0100, Monday to Friday, 9 am to 6 pm Eastern. "
        + CAN_DO
    )
    assert reply.evidence is None
