"""Product questions are answered from the product's own text, with the quoted span."""

from app.domain.catalog import Product
from app.pipeline.answer.compare import compare
from app.pipeline.answer.qa import answer

COLOURS = {"black", "blue", "red", "green"}
SIZES = {"xs", "s", "m", "l", "xl"}


def pullover(**kw: object) -> Product:
    base: dict[str, object] = dict(
        id="magento:MH01",
        source="magento",
        sku="MH01",
        name="Mars HeatTech Pullover",
        description="Stay warm on cold runs. The draw-cord hood keeps wind out. Snug fit.",
        category="hoodies",
        price=66.0,
        colors=["Black", "Blue"],
        sizes=["S", "M", "L"],
        materials=["Polyester"],
    )
    base.update(kw)
    return Product.model_validate(base)


def test_a_feature_the_description_states_is_yes_with_its_sentence() -> None:
    a = answer("Does the Mars HeatTech Pullover have a hood?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "The draw-cord hood keeps wind out.")


def test_an_opposite_the_description_states_is_no() -> None:
    a = answer("is it loose?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Snug fit.")


def test_a_feature_the_text_does_not_mention_is_unknown_not_no() -> None:
    assert answer("does it have thumb holes?", pullover(), COLOURS, SIZES).verdict == "unknown"


def test_a_colour_not_offered_is_no_and_quotes_the_colours() -> None:
    a = answer("do you have it in red?", pullover(), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Black, Blue")


def test_a_size_question_on_a_product_without_sizes_is_unknown() -> None:
    assert answer("does it come in XL?", pullover(sizes=[]), COLOURS, SIZES).verdict == "unknown"


def test_a_negated_feature_is_no() -> None:
    a = answer("is it waterproof?", pullover(description="Light shell. Not waterproof."), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Not waterproof.")


def test_comparison_on_price_picks_the_cheaper() -> None:
    cheap = pullover(id="magento:A", name="A Tee", price=20.0)
    dear = pullover(id="magento:B", name="B Tee", price=40.0)
    pick = compare("which one is cheaper?", [dear, cheap], COLOURS, SIZES)
    assert pick is not None and pick[0].id == "magento:A"


def gear(description: str, name: str = "Cardio Ball") -> Product:
    return pullover(
        id="magento:G", name=name, category="fitness equipment", description=description,
        colors=[], sizes=[], materials=[],
    )  # fmt: skip


def test_a_measure_of_another_part_does_not_answer() -> None:
    """'Strap fits 7" to 10".' says nothing about an inseam: no number of the same unit will do."""
    a = answer("is the inseam 7 inches?", gear('Strap fits 7" to 10".'), COLOURS, SIZES)
    assert a.verdict == "unknown"


def test_a_measure_of_the_part_asked_is_compared() -> None:
    a = answer("is the inseam 7 inches?", gear('Quick-dry fabric.\n5" inseam.'), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", '5" inseam.')


def test_a_value_inside_a_stated_range_is_yes() -> None:
    a = answer("will the strap fit 8 inches?", gear('Strap fits 7" to 10".'), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", 'Strap fits 7" to 10".')


def test_a_bare_measure_meets_the_one_value_the_text_states() -> None:
    a = answer("is it 10 pounds?", gear("Durable plastic shell with sand fill.\n15 lbs."), COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "15 lbs.")


def test_a_number_in_the_products_name_is_not_a_measure_question() -> None:
    ball = gear("Anti-burst construction.\nHand pump included.", name="Sprite Stasis Ball 55 cm")
    a = answer("sprite stasis ball 55 cm - does it come with a pump", ball, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Hand pump included.")


def test_a_stated_construction_in_another_material_is_no() -> None:
    bag = gear("Fits inside a locker.\nDurable nylon construction.")
    a = answer("is it leather?", bag, COLOURS, SIZES, {"leather", "nylon"})
    assert (a.verdict, a.evidence) == ("no", "Durable nylon construction.")


def test_a_mere_mention_of_another_material_is_not_a_no() -> None:
    bottle = gear("A metal carabiner clip attaches it to a bag.\nGrooved sides for an easy grip.")
    assert answer("is it stainless steel?", bottle, COLOURS, SIZES).verdict == "unknown"


def test_discourse_filler_matches_nothing() -> None:
    """'as well' is not a feature: a description that says 'well' does not answer 'wheels'."""
    bag = gear("Holds up well on long trips.\nDual top handles.")
    assert answer("does that one have wheels as well?", bag, COLOURS, SIZES).verdict == "unknown"


def test_an_opposite_about_another_part_is_not_a_no() -> None:
    tee = pullover(description="Crew neckline.\nShort sleeves.")
    assert answer("is it long?", tee, COLOURS, SIZES).verdict == "unknown"


def test_an_opposite_about_the_part_asked_is_no() -> None:
    tee = pullover(description="Crew neckline.\nShort sleeves.")
    a = answer("are the sleeves long?", tee, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Short sleeves.")


def test_a_span_about_the_part_but_not_the_feature_is_unknown() -> None:
    """'Raglan sleeves.' is about sleeves, not thumbholes: matching the part alone is no answer."""
    hoodie = pullover(description="Raglan sleeves.\nFront hand pockets.")
    assert answer("any thumbholes on the sleeves?", hoodie, COLOURS, SIZES).verdict == "unknown"


def test_a_short_word_meets_its_inflected_form() -> None:
    pant = pullover(description="Insulated lining.\nTwo zipper pockets.")
    a = answer("do the pockets zip?", pant, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Two zipper pockets.")


def test_a_comparative_on_a_measure_compares_the_stated_numbers() -> None:
    cobalt = pullover(
        id="magento:MSH01", name="Cobalt CoolTech Fitness Short", description='Mesh panels.\n5" inseam.'
    )
    rapha = pullover(
        id="magento:MSH07", name="Rapha Sports Short", description='Compression liner.\nInseam: 8".'
    )
    pick = compare("which has the longer inseam, cobalt or rapha", [cobalt, rapha], COLOURS, SIZES)
    assert pick == (rapha, 'its product information says "Inseam: 8".".')


def test_a_comparative_adjective_is_asked_in_base_form() -> None:
    warm = pullover(id="magento:A", name="A Jacket", description="Warm fleece lining.")
    shell = pullover(id="magento:B", name="B Jacket", description="Packable shell.")
    pick = compare("which one is warmer?", [shell, warm], COLOURS, SIZES)
    assert pick == (warm, 'its product information says "Warm fleece lining.".')


def test_a_feature_only_one_name_has_picks_that_product() -> None:
    geo = pullover(id="magento:MP03", name="Geo Insulated Jogging Pant", description="Zipper pockets.")
    mithra = pullover(id="magento:MP06", name="Mithra Warmup Pant", description="Ankle zips.")
    pick = compare("which of these two is the insulated one?", [mithra, geo], COLOURS, SIZES)
    assert pick == (geo, 'its name says so: "Geo Insulated Jogging Pant".')


MATERIALS = {"cotton", "organic cotton", "mesh", "leather", "fleece", "polyester"}


def test_a_qualified_material_is_not_answered_by_the_bare_material() -> None:
    tee = pullover(description="Crew neck.", materials=["cotton"])
    assert answer("is it organic cotton?", tee, COLOURS, SIZES, MATERIALS).verdict == "unknown"


def test_a_material_of_another_part_does_not_answer_for_the_strap() -> None:
    tank = pullover(description="Power mesh lining in shelf bra for superior support.", materials=[])
    assert answer("is the strap leather?", tank, COLOURS, SIZES, MATERIALS).verdict == "unknown"


def test_a_word_inside_a_compound_is_not_the_word() -> None:
    tote = pullover(description="Water bottle pocket.\nSleeveless design.")
    assert answer("is it waterproof?", tote, COLOURS, SIZES).verdict == "unknown"


def test_an_adjective_of_another_part_does_not_describe_the_product() -> None:
    top = pullover(description="Long-Sleeve, pullover.")
    assert answer("is it long?", top, COLOURS, SIZES).verdict == "unknown"


def test_light_before_a_colour_is_a_shade_not_a_weight() -> None:
    pant = pullover(description="Light blue parachute pants.")
    assert answer("is it light?", pant, COLOURS, SIZES).verdict == "unknown"


def test_an_inflected_qualifier_meets_its_other_form() -> None:
    jacket = pullover(description="A fleece lining that adds a touch of warmth.", materials=["fleece"])
    a = answer("is it fleece lined?", jacket, COLOURS, SIZES, MATERIALS)
    assert (a.verdict, a.evidence) == ("yes", "A fleece lining that adds a touch of warmth.")


def test_a_dependent_word_alone_does_not_answer() -> None:
    short = pullover(description="Flat-lock, chafe-free side seams.")
    assert answer("is it wrinkle free?", short, COLOURS, SIZES).verdict == "unknown"


def test_a_climate_value_answers_the_weather_not_the_warmth() -> None:
    tee = pullover(description="Crew neck.", attributes={"climate": ["warm", "indoor"]})
    a = answer("is it for warm weather?", tee, COLOURS, SIZES)
    assert (a.verdict, a.evidence, answer("will it keep me warm?", tee, COLOURS, SIZES).verdict) == (
        "yes",
        "warm",
        "unknown",
    )


def test_a_care_instruction_answers_washing_not_drying_fast() -> None:
    tee = pullover(description="Crew neck.\nMachine wash/dry.")
    a = answer("is it machine washable?", tee, COLOURS, SIZES)
    assert (a.verdict, a.evidence, answer("does it dry fast?", tee, COLOURS, SIZES).verdict) == (
        "yes",
        "Machine wash/dry.",
        "unknown",
    )


def test_water_resistant_is_not_waterproof() -> None:
    shell = pullover(description="Breathable, water-resistant shell.")
    assert answer("is it waterproof?", shell, COLOURS, SIZES).verdict == "unknown"


def test_a_span_missing_the_part_asked_about_is_unknown() -> None:
    bottle = pullover(description="Grooved sides for an easy grip.")
    assert answer("does it have side pockets?", bottle, COLOURS, SIZES).verdict == "unknown"


# --- generalising to unseen phrasings (dev2 split): one behaviour each --------------------------


def test_the_words_that_pick_the_product_are_not_asked_about() -> None:
    tank = pullover(name="Primo Endurance Tank", description="Red heather tank with gray pocket.")
    a = answer("does the second one have a pocket?", tank, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Red heather tank with gray pocket.")


def test_a_misspelt_name_word_is_not_asked_about() -> None:
    hoodie = pullover(name="Stark Fundamental Hoodie", description="Hood and fleece lining keep you warm.")
    a = answer("stark fundamentle hoodie is it fleece lined", hoodie, COLOURS, SIZES, MATERIALS)
    assert (a.verdict, a.evidence) == ("yes", "Hood and fleece lining keep you warm.")


def test_a_less_word_in_the_text_says_the_product_has_none() -> None:
    top = pullover(description="The top is sleeveless, body fitting and moisture wicking.")
    assert answer("does it have sleeves?", top, COLOURS, SIZES).verdict == "no"


def test_a_less_word_the_question_asks_for_is_yes() -> None:
    top = pullover(description="Tagless label at back neck.")
    a = answer("tags at the neck drive me nuts - is it tagless?", top, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Tagless label at back neck.")


def test_a_question_negating_its_own_word_agrees_with_a_negated_span() -> None:
    tank = pullover(description="No-chafe seams.")
    a = answer("are the seams chafe free", tank, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "No-chafe seams.")


def test_rather_than_negates_what_follows() -> None:
    short = pullover(description="Made for runners who prefer a fitted short rather than the baggy variety.")
    assert answer("is it baggy?", short, COLOURS, SIZES).verdict == "no"


def test_a_relaxed_fit_is_not_slim() -> None:
    pant = pullover(description="Navy cotton straight leg pants.\nRelaxed fit.")
    a = answer("is it slim fit", pant, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Relaxed fit.")


def test_a_crew_neckline_is_not_a_v_neck() -> None:
    tee = pullover(description="Teal quick dry tee.\nCrew neckline.")
    a = answer("does it have a v neck", tee, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Crew neckline.")


def test_the_material_of_the_part_asked_about_decides() -> None:
    strap = pullover(
        description="Plastic cinch buckle is easy to use.\nMade from heavy metal free dyes.", materials=[]
    )
    a = answer("does it have a metal buckle", strap, COLOURS, SIZES, {"metal", "plastic"})
    assert (a.verdict, a.evidence) == ("no", "Plastic cinch buckle is easy to use.")


def test_a_rubberized_strap_is_not_leather() -> None:
    watch = gear("The flexible, rubberized strap is contoured to your wrist.", name="Aim Analog Watch")
    a = answer("is the strap leather", watch, COLOURS, SIZES, {"leather", "rubber"})
    assert (a.verdict, a.evidence) == ("no", "The flexible, rubberized strap is contoured to your wrist.")


def test_what_it_is_made_of_quotes_the_composition() -> None:
    tank = pullover(
        description="Pink stripped tank.\nPre-shrunk.\n92% Organic Cotton/8% Lycra.", materials=[]
    )
    a = answer("what's it made of", tank, COLOURS, SIZES, {"cotton"})
    assert (a.verdict, a.evidence) == ("yes", "92% Organic Cotton/8% Lycra.")


def test_how_long_quotes_the_stated_length() -> None:
    jacket = pullover(description='Gray 1/4 zip pullover.\n27" body length.')
    assert answer("how long is it", jacket, COLOURS, SIZES).evidence == '27" body length.'


def test_how_big_quotes_the_only_measured_span() -> None:
    tote = gear('Water bottle pocket.\nDimensions: W 21" x H 15" x D 10".', name="Savvy Shoulder Tote")
    assert answer("how big is it", tote, COLOURS, SIZES).evidence == 'Dimensions: W 21" x H 15" x D 10".'


def test_a_wrist_is_measured_by_the_strap() -> None:
    watch = gear('Japanese quartz movement.\nStrap fits 7" to 8.0".', name="Aim Analog Watch")
    a = answer("does it fit an 8 inch wrist", watch, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", 'Strap fits 7" to 8.0".')


def test_a_question_about_smell_meets_odor() -> None:
    shirt = pullover(description="Zip hand pockets.\nAntimicrobial, odor-resistant.")
    a = answer("does it stop smelling after workouts?", shirt, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Antimicrobial, odor-resistant.")


def test_a_climate_value_answers_a_question_for_that_weather() -> None:
    jacket = pullover(description="Full zip hoodie.", attributes={"climate": ["rainy", "cool"]})
    a = answer("is it good for rain?", jacket, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "rainy")


def test_an_attribute_value_is_about_the_part_its_attribute_names() -> None:
    tote = gear("Two-way zippers.", name="Compete Track Tote").model_copy(
        update={"attributes": {"strap": ["adjustable", "shoulder"]}}
    )
    a = answer("does it have a shoulder strap?", tote, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "shoulder")


def test_taking_a_part_out_asks_whether_it_is_removable() -> None:
    bra = pullover(description="Elastic underband for superior support.\nRemovable cup inserts.")
    a = answer("can I take the pads out?", bra, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Removable cup inserts.")


def test_an_odor_resistant_product_does_not_smell() -> None:
    tee = pullover(description="Zip hand pockets.\nNaturally odor-resistant.")
    a = answer("does it smell after workouts?", tee, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("no", "Naturally odor-resistant.")


def test_wicking_sweat_agrees_with_a_span_that_wicks_it() -> None:
    short = pullover(description="Moisture-wicking fabric wicks away sweat.\nElastic waist.")
    a = answer("does it wick sweat?", short, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Moisture-wicking fabric wicks away sweat.")


def test_a_word_sharing_only_a_stem_with_the_question_before_a_part_does_not_answer() -> None:
    duffle = gear("With multiple organizational pockets inside and out.", name="Overnight Duffle")
    assert answer("is it organic?", duffle, COLOURS, SIZES).verdict == "unknown"


def test_a_quality_of_a_part_is_not_a_quality_of_the_product() -> None:
    tee = pullover(description="The looser sleeves keep you moving.")
    assert answer("is it loose?", tee, COLOURS, SIZES).verdict == "unknown"


def test_another_garment_being_baggy_says_nothing_about_the_fit() -> None:
    tank = pullover(description="Worn beneath a baggy tee for a laid-back style.")
    assert answer("is it fitted?", tank, COLOURS, SIZES).verdict == "unknown"


def test_how_long_is_not_answered_by_a_weight_or_a_parts_measure() -> None:
    ball = gear("Durable plastic shell.\n15 lbs.")
    tank = pullover(description='Salmon heather tank top.\n1" elastic band on inner bra.')
    assert (
        answer("how long is it", ball, COLOURS, SIZES).verdict,
        answer("how long is it", tank, COLOURS, SIZES).verdict,
    ) == (
        "unknown",
        "unknown",
    )


def test_what_it_is_made_of_without_a_composition_quotes_its_material() -> None:
    hoodie = pullover(description="Full zip black hoodie.", materials=["cotton"])
    a = answer("whats it made of", hoodie, COLOURS, SIZES, {"cotton"})
    assert (a.verdict, a.evidence) == ("yes", "cotton")


def test_the_plural_of_a_name_word_is_still_asked_about() -> None:
    top = pullover(name="Ariel Roll Sleeve Sweatshirt", description="Adjustable roll sleeves for 3/4 sleeve.")
    a = answer("does it have sleeves?", top, COLOURS, SIZES)
    assert (a.verdict, a.evidence) == ("yes", "Adjustable roll sleeves for 3/4 sleeve.")
