"""Label rules on hand-made products, generated queries, and the split by query."""

from __future__ import annotations

from app.catalog.sources.base import ProductLink
from app.domain.catalog import Product
from app.domain.turn import Filters
from recsys.labels import assert_disjoint, generate_queries, grade, link_grade, need_grade, split_of


def product(pid: str, **kw: object) -> Product:
    base: dict[str, object] = {"id": pid, "source": "t", "sku": pid, "name": pid, "price": 40.0}
    return Product.model_validate({**base, **kw})


BLACK_WOMENS_JACKET = product("a", category="jackets", gender="women", colors=["black"], sizes=["M"])
BLUE_WOMENS_JACKET = product("b", category="jackets", gender="women", colors=["blue"], sizes=["S"])
BLACK_MENS_JACKET = product("c", category="jackets", gender="men", colors=["blue"])
BLACK_HOODIE = product("d", category="hoodies", gender="women", colors=["black"])


def test_all_constraints_met_is_grade_3() -> None:
    assert grade(Filters(category="jackets", gender="women", color="black"), BLACK_WOMENS_JACKET) == 3


def test_a_single_met_constraint_is_grade_2() -> None:
    assert grade(Filters(category="jackets"), BLUE_WOMENS_JACKET) == 2


def test_right_type_with_half_the_other_constraints_is_grade_1() -> None:
    assert grade(Filters(category="jackets", gender="women", color="black"), BLUE_WOMENS_JACKET) == 1


def test_right_type_missing_most_constraints_is_grade_0() -> None:
    wanted = Filters(category="jackets", gender="women", color="black", size="M")
    assert grade(wanted, BLACK_MENS_JACKET) == 0


def test_wrong_type_is_never_relevant() -> None:
    assert grade(Filters(category="jackets", color="black"), BLACK_HOODIE) == 0


def test_price_range_is_inclusive() -> None:
    assert grade(Filters(category="jackets", price_max=40), BLUE_WOMENS_JACKET) == 3
    assert grade(Filters(category="jackets", price_max=39.99), BLUE_WOMENS_JACKET) == 0


def test_link_grades_rank_crosssell_and_repeat_copurchase_highest() -> None:
    def link(kind: str, weight: float = 1.0) -> ProductLink:
        return ProductLink(product_id="a", linked_id="b", kind=kind, weight=weight)  # type: ignore[arg-type]

    assert [link_grade(link("crosssell")), link_grade(link("copurchase", 2)), link_grade(link("copurchase")),
            link_grade(link("upsell")), link_grade(link("related"))] == [3, 3, 2, 2, 1]  # fmt: skip


def test_generated_queries_state_their_seed_products_attributes() -> None:
    queries = generate_queries([BLACK_WOMENS_JACKET, BLUE_WOMENS_JACKET], 10, seed=1)
    for q in queries:
        seed = BLACK_WOMENS_JACKET if q.seed_product == "a" else BLUE_WOMENS_JACKET
        assert grade(q.constraints, seed) >= 2, q.text


def test_generated_queries_skip_excluded_golden_texts() -> None:
    queries = generate_queries([BLACK_WOMENS_JACKET], 50, seed=1, exclude=["jackets"])
    assert "jackets" not in [q.text for q in queries]
    assert_disjoint([q.text for q in queries], ["jackets"])


def test_split_depends_on_the_query_only() -> None:
    assert split_of("g00042") == split_of("g00042/miss")
    splits = {split_of(f"g{i:05d}") for i in range(200)}
    assert splits == {"train", "valid"}


def test_a_thin_listing_is_one_grade_lower_for_training() -> None:
    thin = product("t", category="jackets", gender="women", colors=["black"])
    rich = product(
        "r",
        category="jackets",
        gender="women",
        colors=["black"],
        description="A warm, windproof shell for cold commutes, with taped seams and a hood.",
    )
    c = Filters(category="jackets", gender="women", color="black")
    assert (need_grade(c, thin), need_grade(c, rich)) == (2, 3)


def test_thin_penalty_never_turns_a_match_into_irrelevant() -> None:
    thin = product("t", category="jackets", gender="women", colors=["black"])
    assert need_grade(Filters(category="jackets"), thin) == 1
