"""The "How free text is read" section of docs/criteria.md (rendered by cards.catalogue).

cards/ does not import fhir_mappings, so the section is written here; tests/test_text_assertion.py checks
that it names every category the rules file leaves out and every category a concept set still counts
(fhir_mappings/assertion/context-rules.json, `textAssertion` in fhir_mappings/terminology/*.json).
The figures are from docs/benchmarks.md, "Free text read with its assertion status".
"""

INTRO = """
## How free text is read

Codes decide first: a coding whose code is in a concept set matches whatever its display says (the display
is the code's label). Free text is matched by the concept set's text patterns, at word starts: the code and
detail text and displays of an order, its notes and patient instruction, a condition's text, stage summary
and notes, an observation's text and notes, a medication's text. A match counts only where the mention is
affirmed. medspaCy's ConText judges each matched mention within its sentence (a full stop, `!`, `;`, a line
break or `|` ends one), with its default English rules and the service's own
(`fhir_mappings/assertion/context-rules.json`, each rule naming its source and why). A mention does not
count when ConText finds it:

| category | for example | still counts for |
|---|---|---|
"""

# (ConText category, what it means, examples, the concept sets that still count it)
CATEGORIES = [
    ("NEGATED_EXISTENCE", "negated, withheld or not done",
     '"no avulsion", "US: tendon intact, without retraction", "avoid Nordic curls for now", "bed rest not '
     'advised", "not yet fit to return to play", "Nordics stopped", "complete tear ruled out"',
     'stopped-for-pain (its stop word negates the reason after it: "D/C PT d/t pain")'),
    ("POSSIBLE_EXISTENCE", "uncertain", '"suspected complete tear", "? avulsion", "cannot exclude avulsion"', "-"),
    ("HYPOTHETICAL", "conditional or only discussed",
     '"should symptoms persist, consider ortho referral", "ortho referral if no improvement", "return to play '
     'once pain-free", "risk of re-rupture"', "-"),
    ("HISTORICAL", "in the past",
     '"previous avulsion, repaired 2019", "h/o complete tear", "avulsion 3 years ago" (a current event ends it: '
     '"now re-rupture")',
     'therapy-discontinuation ("PT d/c\'d last week" still stops therapy), hamstring-repair ("s/p proximal '
     'hamstring repair" is a repair done)'),
    ("FAMILY", "another person", '"brother had a hamstring avulsion"', "-"),
    ("OTHER_SITE", "another body site",
     '"complete tear of the ACL", "grade 3 ankle sprain", "immobilisation of the wrist"; read for tears, '
     'severity, repairs, rest orders and weakness (a hamstring word ends its reach), and "sciatic nerve '
     'gliders" for eccentric work', "-"),
    ("OTHER_PROBLEM", "another problem or side",
     '"ACL reconstruction with hamstring autograft", "contralateral avulsion", "bed rest for pre-eclampsia", '
     '"D/C pt home", "return to sport testing"', "-"),
    ("PARTIAL_EXTENT", "not a complete tear",
     '"partial rupture", "grade 2 tear, no retraction" (read for high-grade tears)', "-"),
    ("RESOLVED", "pain resolved, absent or no worse",
     '"Nordics stopped - no more pain", "PT discontinued, pain resolved, goals met", "pain-free now" (read for '
     'the reason a stop gives: no stop for pain)', "-"),
    ("OTHER_TIMING", "the timing of something else than the order",
     '"Review in 2 weeks", "f/u 2/52", "RTC in 2 weeks", "strain 3 weeks ago", "symptoms for 3 weeks" (read for '
     'the length an order states: not its length; "NWB until review in 2 weeks" is)', "-"),
]

OUTRO = """
A text counts when one of its mentions does ("no retraction. Complete avulsion" is a high-grade tear).
Progression caveats are not conditions ("Nordic curls if pain allows", "as tolerated"), and "no pain with
sprinting" negates the pain, not the sprinting it was rated during.

Why medspaCy's ConText: it implements NegEx and ConText (negation, uncertainty, hypothetical, historical,
another person) in one pass, runs on a blank spaCy pipeline with no model download, and takes its rules as
data. On the 294 cases of `tests/test_text_assertion.py` (105 affirmed, 189 not), the patterns alone get
107 right, ConText with its default rules 169, with the service's rules 294 (the cases they were written
against; sets written after them got 58 of 68 and 57 of 64 right before they were extended for the misses).
Medication names count when conditional: an analgesic ordered as needed is ordered. Cost: start-up about
1 s longer; about 0.2 ms for each new text a pattern matched, answers kept per text; a worker's memory
grows by about 65 MB RSS, mostly shared between workers (docs/benchmarks.md).
"""


def section() -> str:
    rows = "".join(f"| {name}: {meaning} | {examples} | {counted} |\n"
                   for name, meaning, examples, counted in CATEGORIES)
    return INTRO + rows + OUTRO
