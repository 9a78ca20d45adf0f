"""The policy's lists, in its own words, as the choices every form and card offers.

Slack limits an option's text to 75 characters, so each item has a `label` that keeps
the policy's wording as closely as fits, and the full `policy_text` for cards and
letters. Ids are stored; never rename one.
"""

from __future__ import annotations

from dataclasses import dataclass

from dialogs.policy_map import carries, left_to_judgement


@dataclass(frozen=True)
class Item:
    id: str
    label: str
    policy_text: str = ""

    @property
    def text(self) -> str:
        return self.policy_text or self.label


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    section: str
    items: tuple[Item, ...]


# s3.1 and s3.2: the three lists of behaviour.
BEHAVIOUR_GROUPS: tuple[Group, ...] = (
    Group(
        "unacceptable",
        "Unacceptable behaviour (s3.1)",
        "s3.1",
        (
            Item("abuse", "Abuse, derogatory, discriminatory or defamatory remarks"),
            Item(
                "agitation",
                "Escalating agitation, intimidating body language, invading personal space",
                "Escalating agitation, intimidating body language or invasion of personal space",
            ),
            Item("harassment", "Harassment, intimidation or threats"),
            Item("threats_harm", "Threats or harm to people or property"),
            Item("stalking", "Stalking (in person or online)"),
            Item("manipulation", "Psychological manipulation"),
            Item("coercion", "Oppressive or coercive behaviour"),
        ),
    ),
    Group(
        "persistence",
        "Unreasonable persistence (s3.2)",
        "s3.2",
        (
            Item("demand_updates", "Persistently calling, writing or emailing to demand updates"),
            Item(
                "refusing_explanations",
                "Refusing reasonable explanations after a complaint has concluded",
                "Refusing to accept reasonable explanations following the conclusion of a "
                "public complaint, and / or failing to follow appropriate appeal / review channels",
            ),
            Item(
                "contacting_others",
                "Contacting different people in the office to get a different outcome",
                "Contacting different people in the same organisation to try to secure a "
                "different outcome",
            ),
            Item(
                "volume",
                "Volume or duration of contact stopping staff doing their work",
                "The volume or duration of contact impacting on the ability of our staff to "
                "carry out their functions. This can include calling a number of times "
                "repeatedly on the same day",
            ),
            Item(
                "reframing",
                "Re-framing or re-wording a complaint that has already been finalised",
                "Re-framing or re-wording of a complaint that has already been finalised",
            ),
            Item(
                "no_evidence",
                "Persisting without providing evidence after numerous requests",
                "Persisting with the issue or complaint despite failing to provide any evidence "
                "or information to support it after numerous requests to do so",
            ),
        ),
    ),
    Group(
        "demands",
        "Unreasonable demands or obstructive behaviour (s3.2)",
        "s3.2",
        (
            # The policy's first bullet names two demands; it is one choice, as written.
            Item(
                "timescales",
                "Demanding replies too soon, or insisting on a particular member of staff",
                "Repeatedly demanding responses within an unreasonable timescale, or "
                "insisting on speaking to a particular member of staff despite being told "
                "that it is not possible or appropriate",
            ),
            Item(
                "wrong_channels",
                "Not following appropriate channels despite being told more than once",
                "Not following appropriate channels for engagement, despite receiving "
                "information more than once about the appropriate channel to use",
            ),
            Item(
                "handling_demands",
                "Demanding how their complaint is handled despite being told the process",
                "Issuing demands about how their complaint should be handled, despite being "
                "told about the process and receiving regular updates",
            ),
            Item(
                "managers_outset",
                "Demanding to speak to managers before staff have considered the matter",
                "Demands to speak to managers at the outset, before the OPCC staff member has "
                "fully considered the matter raised",
            ),
            Item(
                "copying_staff",
                "Repeatedly copying staff into emails to other bodies without reason",
                "Repeatedly copying OPCC staff into emails sent to other public bodies where "
                "there is no demonstrable reason to do so",
            ),
        ),
    ),
)

# Choices no longer offered, still read on the incidents that recorded them: the policy's
# first demands bullet was once split in two.
RETIRED_BEHAVIOURS: dict[str, tuple[str, Item]] = {
    "particular_staff": (
        "demands",
        Item(
            "particular_staff",
            "Insisting on a particular member of staff when told it is not possible",
            "Insisting on speaking to a particular member of staff despite being told that "
            "it is not possible or appropriate",
        ),
    ),
}


# The policy's lists are examples ("may involve"), so each ends with an "other", described
# in the report's own words (Incident.other_behaviour).
OTHER_BEHAVIOURS: dict[str, Item] = {
    "unacceptable": Item("other_unacceptable", "Other unacceptable behaviour (describe it below)"),
    "persistence": Item("other_persistence", "Other unreasonable persistence (describe it below)"),
    "demands": Item("other_demands", "Other unreasonable demands (describe it below)"),
}


def offered(group: Group) -> tuple[Item, ...]:
    """The choices the report form offers: the policy's bullets, then "other"."""
    return (*group.items, OTHER_BEHAVIOURS[group.id])


def read_items(group: Group) -> tuple[Item, ...]:
    """A group's items as stored incidents may hold them: those offered, then those
    retired (for reading old reports, never offered)."""
    retired = tuple(item for gid, item in RETIRED_BEHAVIOURS.values() if gid == group.id)
    return offered(group) + retired


def is_other(behaviour: str) -> bool:
    return behaviour.startswith("other_")


def behaviour_text(behaviour: str, described: str | None) -> str:
    """A behaviour as a report, card or letter says it: the policy's words, or for an
    "other" what the reporter described."""
    if is_other(behaviour):
        return f"Other: {described}" if described else "Other (not described)"
    return BEHAVIOURS[behaviour][1].text


def behaviour_label(behaviour: str, described: str | None) -> str:
    """The short form, for lists."""
    if is_other(behaviour):
        return behaviour_text(behaviour, described)
    return BEHAVIOURS[behaviour][1].label


BEHAVIOURS: dict[str, tuple[Group, Item]] = {
    item.id: (group, item) for group in BEHAVIOUR_GROUPS for item in offered(group)
} | {
    item_id: (next(g for g in BEHAVIOUR_GROUPS if g.id == group_id), item)
    for item_id, (group_id, item) in RETIRED_BEHAVIOURS.items()
}

CHANNELS: tuple[Item, ...] = (
    Item("telephone", "Telephone"),
    Item("letter", "Letter"),
    Item("email", "Email"),
    Item("social_media", "Social media"),
    Item("in_person", "In person"),
    Item("other", "Other"),
)

# s6: what staff may do at the time, by channel.
ACTIONS_TAKEN: tuple[Item, ...] = (
    Item("warned", "Warned them their behaviour was falling short"),
    Item("ended_call", "Held or ended the call, after warning them and saying I would"),
    Item("post_deleted", "Recorded the post, then deleted it"),
    Item("blocked", "Blocked the sender"),
    Item("none", "None of these"),
)

# s4: the questions staff ask of the office before deciding how to manage behaviour.
# s4's questions, quoted as the policy asks them (its fourth bullet asks two, kept as one).
SELF_CHECK: tuple[Item, ...] = (
    Item("explained", "Have we explained processes and checked they understand it?"),
    Item(
        "proportionate",
        "Have we handled the matter raised in a reasonable and proportionate manner?",
    ),
    Item("communicated", "Have we communicated regularly and effectively?"),
    Item(
        "support",
        "Have we asked if they would benefit from additional support? If so, has it been provided?",
    ),
    Item(
        "rationale",
        "If an outcome has been reached on the matter raised, has a clear rationale for the "
        "decision been provided in a way that they can understand?",
    ),
)
SELF_CHECK_ANSWERS: tuple[Item, ...] = (
    Item("yes", "Yes"),
    Item("no", "No"),
    Item("na", "Not applicable"),
)
YES_NO: tuple[Item, ...] = (Item("yes", "Yes"), Item("no", "No"))

WARNING_KINDS: tuple[Item, ...] = (
    Item("verbal", "Verbal warning on the phone"),
    Item("written", "Written warning (a letter is prepared)"),
)

# Appendix A: steps staff can take to preserve their privacy online.
PRIVACY_STEPS: tuple[Item, ...] = (
    Item("search_self", "Search the internet for my name and personal details regularly"),
    Item("privacy_settings", "Check my social media privacy settings (they change often)"),
    Item("connections", "Consider how family and friend connections could identify me"),
    Item("no_employment", "Don't list my employment or contact details on social media"),
    Item("different_name", "Use a different name on social media from the one at work"),
    Item("no_face", "Use a profile picture that does not show my face"),
    Item("remove_colleagues", "Remove colleagues from friends, especially under real names"),
    Item("policing_accounts", "Avoid following or interacting with policing accounts"),
    Item("cumulative", "Think about how posts can be put together to locate me"),
    Item("electoral_register", "Ask to be removed from the public electoral register"),
)

WELFARE_ANSWERS: tuple[Item, ...] = (
    Item("ok", "I'm OK"),
    Item("talk", "I'd like to talk to my manager"),
    Item("support", "Show me support"),
)


def label(items: tuple[Item, ...], item_id: str) -> str:
    return next((i.label for i in items if i.id == item_id), item_id)


# s7: the restrictions a contact strategy may include.
RESTRICTIONS: tuple[Item, ...] = (
    Item("call_limit", "Limit the length of phone calls"),
    Item("single_method", "Restrict contact to one method"),
    Item("dedicated_email", "Use a dedicated email address and auto-divert emails"),
    Item("block_channels", "Block email addresses or other channels"),
    Item("advocate_only", "Require contact through an advocate"),
    Item("spoc", "Single point of contact (SPOC) member of staff"),
)

# The routes by which a member of the public can reach the office.
CONTACT_METHODS: tuple[Item, ...] = (
    Item("letter", "Letter"),
    Item("email", "Email"),
    Item("telephone", "Telephone"),
    Item("in_person", "In person"),
)

# s7: the five things the authoriser must be satisfied of before restricting contact.
CRITERIA: tuple[Item, ...] = (
    Item(
        "addressed",
        "The matter raised is being, or has been, considered and addressed properly",
    ),
    Item(
        "communication",
        "Communication has been adequate and they are not providing significant new "
        "information that might affect the matter",
    ),
    Item(
        "access",
        "Their access requirements and solutions have been considered, so they are not "
        "denied access to the office",
    ),
    Item(
        "misunderstandings",
        "All efforts have been made to dispel misunderstandings and move towards a resolution",
    ),
    Item(
        "proportionate",
        "The approach is fair, reasonable and proportionate, and reasonable adjustments "
        "have been considered",
    ),
)
# Slack limits option text to 75 characters: the short forms for checkboxes.
CRITERIA_SHORT: dict[str, str] = {
    "addressed": "The matter has been considered and addressed properly",
    "communication": "Communication was adequate; no significant new information",
    "access": "Access requirements considered; they are not denied access",
    "misunderstandings": "All efforts made to dispel misunderstandings",
    "proportionate": "Fair, reasonable and proportionate; adjustments considered",
}

SHARING_REASONS: tuple[Item, ...] = (
    Item("safeguarding", "Safeguarding concerns"),
    Item("risk_to_life", "Risk to life"),
    Item("other", "Other (explain)"),
)

LETTER_FORMATS: tuple[Item, ...] = (
    Item("standard", "Standard print"),
    Item("large_print", "Large print"),
)

# s7, s7.1: what a review may decide. Stored on Review.outcome as continued/altered/ended.
REVIEW_OUTCOMES: tuple[Item, ...] = (
    Item("continue", "Continue: the restrictions stay as they are"),
    Item("alter", "Alter: change the restrictions (needs authorisation again)"),
    Item("end", "End: lift the restrictions"),
)

# s7.2: the questions every contact from a restricted person is read for.
# What a contact through a restricted channel was about: only the first is a breach.
# s7.2: "any new issues ... will be dealt with in the normal way"; s9: a request for
# information is the person's right, whatever channel it came by.
CONTACT_ABOUT: tuple[Item, ...] = (
    Item("breach", "What the strategy restricts: a breach"),
    Item("other_matter", "Another matter, e.g. a new complaint: not a breach (s7.2)"),
    Item(
        "information_request",
        "A request for information (FOI or subject access): not a breach (s9)",
    ),
)

CONTACT_QUESTIONS: tuple[Item, ...] = (
    Item("new_information", "Does it give new information?"),
    Item("new_complaint", "Does it make a new complaint?"),
    Item("criminal", "Does it raise a criminal matter?"),
    Item("safeguarding", "Does it raise a safeguarding issue?"),
    Item(
        "information_request",
        "Is it a request for information: freedom of information or subject access? (s9)",
    ),
)

# s7.3: what the Chief Executive (or someone independent) may decide on a dispute.
# s7.2: "a senior manager may need to seek legal advice to see what avenues are available
# under the law"; the policy's one example, with room for the others it leaves open.
FURTHER_ACTIONS: tuple[Item, ...] = (
    Item("legal_advice_sought", "Legal advice sought"),
    Item("legal_advice_received", "Legal advice received"),
    Item("other", "Other further action (describe it)"),
)

DISPUTE_OUTCOMES: tuple[Item, ...] = (
    Item("upheld", "The restricted contact arrangements still apply"),
    Item("different", "A different course of action"),
)


POLICY = (
    carries(
        "3",
        "The policy's two broad headings, unacceptable and unreasonable behaviour, are "
        "the groups every incident form offers and every card shows.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
    ),
    carries(
        "3.1",
        "The seven kinds of unacceptable behaviour, in the policy's own words.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
        "tests/unit/test_policy_coverage.py::test_the_lists_quote_the_policy",
    ),
    carries(
        "3.2",
        "The six kinds of unreasonable persistence and the five of unreasonable demands or "
        "obstructive behaviour, one choice for each of the policy's bullets, in its own "
        "words (the first demands bullet, which names two demands, is one choice).",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
        "tests/unit/test_policy_coverage.py::test_the_lists_quote_the_policy",
    ),
    carries(
        "4",
        "The five s4 questions the office asks of itself, in the policy's words, answered "
        "on every report.",
        "tests/e2e/test_slack_incident.py::test_incident_full_path",
        "tests/unit/test_policy_coverage.py::test_the_lists_quote_the_policy",
    ),
    left_to_judgement(
        "4",
        "Understanding the reasons behind the behaviour, and addressing the office's own "
        "shortcomings first.",
        "Why someone behaves as they do, and what would address a shortcoming, are a "
        "person's judgement (s4: 'we cannot make assumptions'). The bot asks the questions "
        "on every report and sets a No before the manager; it cannot answer them.",
    ),
    carries(
        "3",
        "The policy's lists are examples ('may involve'), so each ends with an 'other', "
        "described in the reporter's words, shown on the card and in the warning letter.",
        "tests/e2e/test_other_behaviour.py::test_an_other_behaviour_is_described_and_shown_as_written",
        "tests/e2e/test_other_behaviour.py::test_teams_shows_the_other_behaviour_as_written",
    ),
    left_to_judgement(
        "3.2",
        "Whether behaviour is unreasonable depends on its circumstances and the seriousness "
        "of the issues raised.",
        "s3.2: 'will always depend on the circumstances'. The lists are the policy's examples "
        "('may involve'); the manager and the authoriser judge the case.",
    ),
    carries(
        "A",
        "The Appendix A steps to protect privacy online, as a private checklist.",
        "tests/e2e/test_slack_actions.py::test_welfare_support_shows_eap_policies_and_private_checklist",
    ),
)
