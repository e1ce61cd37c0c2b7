"""The Bitext store-help requests (``<data>/bitext-customer-support/utterances.csv``) as a routing
test: a deterministic split and the route each Bitext intent should take in this store.

**Split rule** (committed, with the test ids in ``evals/golden/bitext_storehelp_test_ids.txt``,
before the router was tuned): ``sha256(instruction.strip().lower())``; its first byte mod 10 is
0–5 → train, 6–7 → dev, 8–9 → test. The row id is the 0-based line number of the CSV (header
excluded), which the data set's SOURCE.md says is unchanged from upstream.

**Routes.** The store help router answers with a section of the store policy (``returns``,
``shipping``, ``payment``, ``sizing``, ``order_status``, ``contact``, ``ordering``) or with the honest
"I can't help with that here" (``out_of_remit``) for what the chat cannot serve: accounts,
passwords, registration, newsletters and invoices.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

Split = Literal["train", "dev", "test"]
TEST_IDS = Path(__file__).with_name("golden") / "bitext_storehelp_test_ids.txt"

ROUTE_OF_INTENT: dict[str, str] = {
    "check_refund_policy": "returns",
    "get_refund": "returns",
    "track_refund": "returns",
    "delivery_options": "shipping",
    "delivery_period": "shipping",
    "set_up_shipping_address": "shipping",
    "change_shipping_address": "shipping",
    "check_payment_methods": "payment",
    "payment_issue": "payment",
    "track_order": "order_status",
    "cancel_order": "order_status",
    "change_order": "order_status",
    "check_cancellation_fee": "order_status",
    "place_order": "ordering",
    "contact_customer_service": "contact",
    "contact_human_agent": "contact",
    "complaint": "contact",
    "review": "contact",
    "edit_account": "out_of_remit",
    "create_account": "out_of_remit",
    "switch_account": "out_of_remit",
    "delete_account": "out_of_remit",
    "recover_password": "out_of_remit",
    "registration_problems": "out_of_remit",
    "newsletter_subscription": "out_of_remit",
    "check_invoice": "out_of_remit",
    "get_invoice": "out_of_remit",
}


class HelpRequest(BaseModel):
    id: int
    text: str
    intent: str
    route: str
    split: Split


def split_of(text: str) -> Split:
    bucket = hashlib.sha256(text.strip().lower().encode("utf-8")).digest()[0] % 10
    return "train" if bucket < 6 else "dev" if bucket < 8 else "test"


def load_requests(data_dir: Path) -> list[HelpRequest]:
    path = data_dir / "bitext-customer-support" / "utterances.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return [
        HelpRequest(
            id=i,
            text=r["instruction"],
            intent=r["intent"],
            route=ROUTE_OF_INTENT[r["intent"]],
            split=split_of(r["instruction"]),
        )
        for i, r in enumerate(rows)
    ]
