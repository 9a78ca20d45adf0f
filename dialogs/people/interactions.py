"""The person field's type-ahead, and a person's needs (s5)."""

from cards.ids import ActionId, FormName, IncidentField
from dialogs.interactions import Form, Lookup, Turn, opens
from dialogs.people import needs, spoc
from dialogs.people.find import search
from dialogs.policy_map import carries


async def _search(turn: Turn, query: str) -> list:
    return await search(turn.ctx, query)


INTERACTIONS = (
    Lookup(IncidentField.PERSON, _search),
    opens(ActionId.RECORD_NEEDS, "person_id", needs.form),
    Form(FormName.NEEDS, "Needs recorded", needs.form, needs.submit),
    opens(ActionId.APPOINT_SPOC, "person_id", spoc.form, who=spoc.APPOINTERS),
    Form(FormName.SPOC, "Single point of contact", spoc.form, spoc.submit, who=spoc.APPOINTERS),
)

POLICY = (
    carries(
        "5",
        "A person's needs are recorded whenever they tell us, taken at face value (nothing "
        "assesses them), with every earlier answer kept; a report about someone never "
        "asked prompts their manager to ask, and the contact methods their needs rule out "
        "are kept in every strategy proposed for them.",
        "tests/e2e/test_needs.py::test_needs_are_asked_at_the_outset_and_kept_with_their_history",
        "tests/e2e/test_needs.py::test_a_strategy_keeps_the_methods_their_needs_rule_out",
        "tests/e2e/test_needs.py::test_teams_records_needs_from_case",
    ),
    carries(
        "6",
        "A manager may appoint a single point of contact as an informal step before any "
        "restriction: recorded on the case, shown on /case, and the person told by letter.",
        "tests/e2e/test_needs.py::test_a_single_point_of_contact_is_appointed_informally",
    ),
)
