"""Treatment classification of item labels (imrgraph.resolve.treatments, ontology/treatments.ttl).

The table holds every item label of the five seed letters, labels from the real letters and
variants of them (case, punctuation, abbreviations, typos), with what the classification must
say.  The corpus test reads every item heading of the 77 letters the way the brief describes
(lines ending in Upheld / Overturned, wrapped headings joined, partial authorisations reduced to
the disputed remainder) so that it does not depend on the letter parser.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import corpus_letters
from rdflib import OWL, RDF, RDFS, SKOS, XSD, Literal, URIRef

from imrgraph.mapping import classification_triples
from imrgraph.records import TreatmentClassification
from imrgraph.resolve.treatments import classify_item, treatment_graph
from imrgraph.vocab import IMR, RG, TX

TXD = "https://w3id.org/imrgraph/treatment/drug/"

# label -> expected fields; keys: cat, cls (drug class), rg (regions), side, qty, unit, spw, wk,
# visits, name, strength, count, drug.  Fields not listed must be empty (None / []), except
# quantity/unit fields when "qty" is not given and drugs when "drug" is not given.
CASES: list[tuple[str, dict[str, Any]]] = [
    # --- the five seed letters (every item)
    ("Physical Therapy 2 x 4 week, Lumbar Spine",
     {"cat": "physical-therapy", "rg": ["lumbar-spine"], "spw": 2, "wk": 4, "visits": 8,
      "qty": 8, "unit": "session"}),
    ("MRI of the Lumbar Spine", {"cat": "mri", "rg": ["lumbar-spine"]}),
    ("Physical therapy 12 sessions",
     {"cat": "physical-therapy", "qty": 12, "unit": "session", "visits": 12}),
    ("FOLLOW-UP VISIT WITH ANESTHESIOLOGIST FOR THE LUMBAR",
     {"cat": "office-visit", "rg": ["lumbar-spine"]}),
    ("PHYSICAL THERAPY 12 VISITS FOR THE LUMBAR",
     {"cat": "physical-therapy", "rg": ["lumbar-spine"], "qty": 12, "unit": "visit",
      "visits": 12}),
    ("Nerve Conduction Studies of the lower extremities",
     {"cat": "nerve-conduction", "rg": ["lower-extremity"]}),
    ("Physical Therapy, unknown body part", {"cat": "physical-therapy", "rg": ["unknown"]}),
    ("Analgesic medication", {"cat": "analgesic", "cls": "analgesic"}),
    ("Anti-inflammatory medication", {"cat": "nsaid", "cls": "nsaid"}),
    ("Muscle relaxing medication", {"cat": "muscle-relaxant", "cls": "muscle-relaxant"}),
    ("Spinal stabilization program 2x4 lumbar",
     {"cat": "exercise-program", "rg": ["lumbar-spine"], "spw": 2, "wk": 4, "visits": 8,
      "qty": 8, "unit": "session"}),
    # --- seed variants: case, punctuation, abbreviations, typos
    ("physical therapy 2x4 lumbar spine",
     {"cat": "physical-therapy", "rg": ["lumbar-spine"], "spw": 2, "wk": 4, "visits": 8,
      "qty": 8, "unit": "session"}),
    ("PT two times a week for four weeks, low back",
     {"cat": "physical-therapy", "rg": ["lumbar-spine"], "spw": 2, "wk": 4, "visits": 8,
      "qty": 8, "unit": "session"}),
    ("Physcial therapy 2-3 times a week for 6 weeks",  # typo; range -> upper bound
     {"cat": "physical-therapy", "spw": 3, "wk": 6, "visits": 18, "qty": 18,
      "unit": "session"}),
    ("mri of the lumbar spine w/o contrast", {"cat": "mri", "rg": ["lumbar-spine"]}),
    ("NCV bilateral lower extremities QTY: 2",
     {"cat": "nerve-conduction", "rg": ["lower-extremity"], "side": "bilateral", "qty": 2,
      "unit": "study"}),
    ("Physical therapy, unspecified body part", {"cat": "physical-therapy", "rg": ["unknown"]}),
    ("Follow up visit for the lumbar spine", {"cat": "office-visit", "rg": ["lumbar-spine"]}),
    # --- examples of the brief
    ("Norco 10/325mg #90",
     {"cat": "opioid", "cls": "opioid", "name": "Norco", "strength": "10/325mg", "count": 90,
      "qty": 90, "unit": "tablet", "drug": "hydrocodone-acetaminophen"}),
    ("MRI of the lumbar spine without contrast", {"cat": "mri", "rg": ["lumbar-spine"]}),
    ("EMG/NCV of the lower extremities",
     {"cat": "electrodiagnostics", "rg": ["lower-extremity"]}),
    ("Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16",
     {"cat": "muscle-relaxant", "cls": "muscle-relaxant", "name": "Cyclobenzaprine",
      "strength": "5mg", "count": 30, "qty": 30, "unit": "tablet", "drug": "cyclobenzaprine"}),
    ("Oxycodone HCL ER 20mg #60 day supply: 30",
     {"cat": "opioid", "cls": "opioid", "name": "Oxycodone HCL", "strength": "20mg",
      "count": 60, "qty": 60, "unit": "tablet", "drug": "oxycodone"}),
    # --- real letters
    ("Continue physical therapy 3 times a week for 2 weeks",
     {"cat": "physical-therapy", "spw": 3, "wk": 2, "visits": 6, "qty": 6, "unit": "session"}),
    ("Acupuncture 3 times a week for 2 weeks, neck, right hand and head",
     {"cat": "acupuncture", "rg": ["cervical-spine", "wrist-hand", "head"], "side": "right",
      "spw": 3, "wk": 2, "visits": 6, "qty": 6, "unit": "session"}),
    ("Electro acupuncture to the low back two times a week times six weeks",
     {"cat": "acupuncture", "rg": ["lumbar-spine"], "spw": 2, "wk": 6, "visits": 12,
      "qty": 12, "unit": "session"}),
    ("Infrared heat to the low back two times a week times six weeks",
     {"cat": "infrared-therapy", "rg": ["lumbar-spine"], "spw": 2, "wk": 6, "visits": 12,
      "qty": 12, "unit": "session"}),
    ("Myofascial release to the low back two times a week times six weeks",
     {"cat": "massage", "rg": ["lumbar-spine"], "spw": 2, "wk": 6, "visits": 12, "qty": 12,
      "unit": "session"}),
    ("Chiropractic care to the lo9w back two times a week for four weeks",  # typo in a letter
     {"cat": "chiropractic", "rg": ["lumbar-spine"], "spw": 2, "wk": 4, "visits": 8,
      "qty": 8, "unit": "session"}),
    ("Ultram 50mg #30",
     {"cat": "opioid", "cls": "opioid", "name": "Ultram", "strength": "50mg", "count": 30,
      "qty": 30, "unit": "tablet", "drug": "tramadol"}),
    ("Flexeril 10mg #60",
     {"cat": "muscle-relaxant", "cls": "muscle-relaxant", "name": "Flexeril",
      "strength": "10mg", "count": 60, "qty": 60, "unit": "tablet", "drug": "cyclobenzaprine"}),
    ("Spinal manipulation 1 times 8",
     {"cat": "manipulation", "rg": ["spine"], "spw": 1, "wk": 8, "visits": 8, "qty": 8,
      "unit": "session"}),
    ("Ultrasound 1 times 8",
     {"cat": "therapeutic-ultrasound", "spw": 1, "wk": 8, "visits": 8, "qty": 8,
      "unit": "session"}),
    ("Norflex 100mg #60",
     {"cat": "muscle-relaxant", "cls": "muscle-relaxant", "name": "Norflex",
      "strength": "100mg", "count": 60, "qty": 60, "unit": "tablet", "drug": "orphenadrine"}),
    ("Pepcid 20mg",
     {"cat": "h2-blocker", "cls": "h2-blocker", "name": "Pepcid", "strength": "20mg",
      "drug": "famotidine"}),
    ("X-rays of the left shoulder", {"cat": "x-ray", "rg": ["shoulder"], "side": "left"}),
    ("Facet joint injections L4-5, L5-S1", {"cat": "facet-injection", "rg": ["lumbar-spine"]}),
    ("Three months coverage of Viagra 50mg",
     {"cat": "erectile-dysfunction-agent", "cls": "erectile-dysfunction-agent",
      "name": "Viagra", "strength": "50mg", "qty": 3, "unit": "month", "drug": "sildenafil"}),
    ("EMG (electromyography)/NCV (nerve conduction velocity) of the bilateral upper extremities",
     {"cat": "electrodiagnostics", "rg": ["upper-extremity"], "side": "bilateral"}),
    ("Additional physical therapy two times four visits (8) for the lumbar and bilateral knees",
     {"cat": "physical-therapy", "rg": ["lumbar-spine", "knee"], "side": "bilateral",
      "spw": 2, "wk": 4, "visits": 8, "qty": 8, "unit": "session"}),
    ("Right shoulder arthroscopy RCR (rotator cuff repair) and decompression",
     {"cat": "arthroscopy", "rg": ["shoulder"], "side": "right"}),
    ("Labs to include: EKG", {"cat": "ekg"}),
    ("Labs to include: Chest X-ray", {"cat": "x-ray", "rg": ["chest"]}),
    ("Associated surgical service: Cold compression therapy 30 day rental",
     {"cat": "hot-cold-unit", "qty": 30, "unit": "day"}),
    ("Associated surgical service: Shoulder sling with abduction pillow",
     {"cat": "orthosis", "rg": ["shoulder"]}),
    ("Associated surgical service: Physical therapy, times 12",
     {"cat": "physical-therapy", "qty": 12, "unit": "session", "visits": 12}),
    ("MRI/CT of the spine and pelvis", {"cat": "imaging", "rg": ["spine", "hip-pelvis"]}),
    ("Occupational therapy for six sessions",
     {"cat": "occupational-therapy", "qty": 6, "unit": "session", "visits": 6}),
    ("Spinolator therapy (traction) times 6",
     {"cat": "traction", "qty": 6, "unit": "session", "visits": 6}),
    ("Ice/Heat pads therapy times 6",
     {"cat": "heat-cold-therapy", "qty": 6, "unit": "session", "visits": 6}),
    ("Acupuncture therapy sessions lumbar spine #6",
     {"cat": "acupuncture", "rg": ["lumbar-spine"], "qty": 6, "unit": "session", "visits": 6}),
    ("Voltaren gel apply to affected area 4 times a day, #60 grams with 1 refill, "
     "DOS: 11/11/2016",
     {"cat": "topical-analgesic", "cls": "topical-analgesic", "name": "Voltaren gel",
      "count": 60, "qty": 60, "unit": "gram", "drug": "diclofenac-topical"}),
    ("Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box with 1 refill",
     {"cat": "topical-analgesic", "cls": "topical-analgesic", "name": "Lidoderm", "count": 1,
      "qty": 1, "unit": "box", "drug": "lidocaine"}),
    ("Flector 1.3% transdermal patch",
     {"cat": "topical-analgesic", "cls": "topical-analgesic", "name": "Flector",
      "strength": "1.3%", "drug": "flector"}),
    ("Salonpas pad #60",
     {"cat": "topical-analgesic", "cls": "topical-analgesic", "name": "Salonpas", "count": 60,
      "qty": 60, "unit": "pad", "drug": "salonpas"}),
    ("Cyclobenzaprine 5% in cream base 240g",  # a cream is a topical, whatever the ingredient
     {"cat": "topical-analgesic", "cls": "topical-analgesic", "name": "Cyclobenzaprine",
      "strength": "5%", "qty": 240, "unit": "gram", "drug": "cyclobenzaprine"}),
    ("Post-op Percocet 5/325mg",
     {"cat": "opioid", "cls": "opioid", "name": "Percocet", "strength": "5/325mg",
      "drug": "oxycodone-acetaminophen"}),
    ("Post-op Zofran",
     {"cat": "antiemetic", "cls": "antiemetic", "name": "Zofran", "drug": "ondansetron"}),
    ("Tabradol (unknown quantity)",
     {"cat": "muscle-relaxant", "cls": "muscle-relaxant", "name": "Tabradol",
      "drug": "tabradol"}),
    ("Synapryn (unknown quantity)",
     {"cat": "opioid", "cls": "opioid", "name": "Synapryn", "drug": "synapryn"}),
    ("Venlafaxine HCL ER 37.5mg #90",
     {"cat": "antidepressant", "cls": "antidepressant", "name": "Venlafaxine HCL",
      "strength": "37.5mg", "count": 90, "qty": 90, "unit": "tablet", "drug": "venlafaxine"}),
    ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill",
     {"cat": "proton-pump-inhibitor", "cls": "proton-pump-inhibitor", "name": "Pantoprazole",
      "strength": "40mg", "count": 60, "qty": 60, "unit": "tablet", "drug": "pantoprazole"}),
    ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40",
     {"cat": "opioid", "cls": "opioid", "name": "Norco", "strength": "5/325mg", "count": 40,
      "qty": 40, "unit": "tablet", "drug": "hydrocodone-acetaminophen"}),
    ("Right L5-S1 epidural steroid injection",
     {"cat": "epidural-steroid-injection", "rg": ["lumbar-spine"], "side": "right"}),
    ("Injection of neurolytic substance, lumbar spine",
     {"cat": "nerve-block", "rg": ["lumbar-spine"]}),
    ("Spine surgery evaluation for the lumbar",
     {"cat": "consultation-referral", "rg": ["lumbar-spine"]}),
    ("TOC to ortho spine surgeon eval and treatment",
     {"cat": "consultation-referral", "rg": ["spine"]}),
    ("Comprehensive psychological testing", {"cat": "psychological-evaluation"}),
    ("Functional capacity evaluation (FCE)", {"cat": "functional-capacity-evaluation"}),
    ("Urine Test", {"cat": "urine-drug-screen"}),
    ("TENS unit", {"cat": "tens-unit"}),
    ("Wrist braces #2", {"cat": "orthosis", "rg": ["wrist-hand"], "qty": 2, "unit": "unit"}),
    ("Cervical pillow", {"cat": "pillow", "rg": ["cervical-spine"]}),
    ("standard wheelchair for a 2 month rental",
     {"cat": "mobility-aid", "qty": 2, "unit": "month"}),
    ("purchase of a bedside 3 in 1 commode", {"cat": "bathroom-equipment"}),
    ("Home aide 6 hours per day, 5 times a week for 4 weeks to assist with mobility",
     {"cat": "home-health", "spw": 5, "wk": 4, "visits": 20, "qty": 20, "unit": "visit"}),
    ("Daily RN for 4 weeks for wound care and monitoring of wound healing and home safety, "
     "medication management",
     {"cat": "home-health", "spw": 7, "wk": 4, "visits": 28, "qty": 28, "unit": "visit"}),
    ("Acute inpatient rehabilitation physical therapy and occupational therapy 7-10 days for "
     "left foot fracture",
     {"cat": "inpatient-rehabilitation", "rg": ["ankle-foot"], "side": "left", "qty": 10,
      "unit": "day"}),
    ("continuation for left hand therapy for 6 sessions",
     {"cat": "occupational-therapy", "rg": ["wrist-hand"], "side": "left", "qty": 6,
      "unit": "session", "visits": 6}),
    ("Chirophysio therapy two times a week for four weeks for the right elbow and right knee",
     {"cat": "chiropractic", "rg": ["elbow", "knee"], "side": "right", "spw": 2, "wk": 4,
      "visits": 8, "qty": 8, "unit": "session"}),
    ("Unknown shockwave treatments", {"cat": "shockwave-therapy"}),
    ("Electroencephalogram", {"cat": "eeg"}),
    ("Medical Clearance", {"cat": "preoperative-clearance"}),
    # --- further variants
    ("PT 2x/week x 6 weeks, left shoulder",
     {"cat": "physical-therapy", "rg": ["shoulder"], "side": "left", "spw": 2, "wk": 6,
      "visits": 12, "qty": 12, "unit": "session"}),
    ("Accupuncture x 6", {"cat": "acupuncture", "qty": 6, "unit": "session", "visits": 6}),
    ("Hydrocodone/APAP 10/325mg #60",
     {"cat": "opioid", "cls": "opioid", "name": "Hydrocodone/APAP", "strength": "10/325mg",
      "count": 60, "qty": 60, "unit": "tablet", "drug": "hydrocodone-acetaminophen"}),
    ("Gabapentin 600mg #90",
     {"cat": "anticonvulsant", "cls": "anticonvulsant", "name": "Gabapentin",
      "strength": "600mg", "count": 90, "qty": 90, "unit": "tablet", "drug": "gabapentin"}),
    ("Lyrica 75 mg #60",
     {"cat": "anticonvulsant", "cls": "anticonvulsant", "name": "Lyrica", "strength": "75mg",
      "count": 60, "qty": 60, "unit": "tablet", "drug": "pregabalin"}),
    ("Cymbalta 60mg #30",
     {"cat": "antidepressant", "cls": "antidepressant", "name": "Cymbalta", "strength": "60mg",
      "count": 30, "qty": 30, "unit": "tablet", "drug": "duloxetine"}),
    ("Ambien 10mg #30",
     {"cat": "sleep-aid", "cls": "sleep-aid", "name": "Ambien", "strength": "10mg",
      "count": 30, "qty": 30, "unit": "tablet", "drug": "zolpidem"}),
    ("Fentanyl 25mcg patch #10",  # a patch does not make fentanyl a topical analgesic
     {"cat": "opioid", "cls": "opioid", "name": "Fentanyl", "strength": "25mcg", "count": 10,
      "qty": 10, "unit": "patch", "drug": "fentanyl"}),
    ("Tylenol #3 #60",  # '#3' belongs to the name, not the count
     {"cat": "opioid", "cls": "opioid", "name": "Tylenol #3", "count": 60, "qty": 60,
      "unit": "tablet", "drug": "codeine-acetaminophen"}),
    ("Left and right knee MRI", {"cat": "mri", "rg": ["knee"], "side": "bilateral"}),
]

_FIELDS = {
    "cls": "drug_class", "rg": "regions", "side": "side", "qty": "quantity", "unit": "unit",
    "spw": "sessions_per_week", "wk": "weeks", "visits": "total_visits",
    "name": "medication_name", "strength": "strength", "count": "count",
}


def _iri(key: str, value: Any) -> Any:
    if key == "cls":
        return str(TX[value])
    if key == "rg":
        return [str(RG[v]) for v in value]
    return value


def test_case_table_is_large_enough() -> None:
    assert len(CASES) >= 45
    assert len({label for label, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("label", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_classify_item(label: str, expected: dict[str, Any]) -> None:
    c = classify_item(label)
    assert c.category == str(TX[expected["cat"]]), c
    assert c.in_vocabulary
    assert c.category_label
    for key, attr in _FIELDS.items():
        if key in ("qty", "unit") and "qty" not in expected and "visits" not in expected:
            continue
        want = _iri(key, expected[key]) if key in expected else ([] if key == "rg" else None)
        assert getattr(c, attr) == want, f"{attr}: {getattr(c, attr)!r} != {want!r}"
    if "drug" in expected:
        assert c.drugs[0] == TXD + expected["drug"]


def test_unrecognised_labels_are_kept() -> None:
    """Nothing is dropped: unknown words are tx:other; an unknown drug with a strength is a
    medication."""
    other = classify_item("Frobnication of the widget")
    assert other.category == str(TX.other) and not other.in_vocabulary
    assert other.category_label
    unknown_drug = classify_item("Zorblax 10mg #30")
    assert unknown_drug.category == str(TX.medication) and not unknown_drug.in_vocabulary
    assert (unknown_drug.medication_name, unknown_drug.strength, unknown_drug.count) == (
        "Zorblax", "10mg", 30)
    assert unknown_drug.drug_class is None
    assert classify_item("").category == str(TX.other)


def test_drug_in_a_procedure_is_kept() -> None:
    c = classify_item("Toradol 60mg IM injection")
    assert c.category == str(TX.injection)
    assert c.drugs == [TXD + "ketorolac"] and c.drug_class is None


# ------------------------------------------------------------------ the 77 letters

_OUTCOME = re.compile(r"(upheld|overturned)\s*$", re.I)
_STOP = re.compile(r"(\.\s*$|set forth below|IMR ISSUES)", re.I)


def item_labels(text: str) -> list[str]:
    """Disputed item labels: lines ending in an outcome, with wrapped headings joined."""
    lines = text.splitlines()
    labels: list[str] = []
    for i, line in enumerate(lines):
        if not _OUTCOME.search(line):
            continue
        block = [line]
        only_outcome = not _OUTCOME.sub("", line).strip()
        j = i - 1
        while j >= 0 and len(block) < 8:
            prev = lines[j]
            j -= 1
            if not prev.strip():
                continue
            if _STOP.search(prev) and not only_outcome:
                break
            block.insert(0, prev)
            only_outcome = False
        heading = _OUTCOME.sub("", " ".join(x.strip() for x in block)).strip()
        remainder = list(re.finditer(r"original request,\s*", heading, re.I))
        if remainder:  # partial authorisation: the disputed remainder is the item
            heading = heading[remainder[-1].end():]
        labels.append(re.sub(r"(\s+is)?\s*:\s*$", "", heading).strip())
    return labels


@pytest.mark.corpus
def test_every_item_label_of_the_corpus_classifies(capsys: pytest.CaptureFixture[str]) -> None:
    letters = corpus_letters()
    assert len(letters) == 77
    results: list[tuple[str, TreatmentClassification]] = []
    for path in letters:
        labels = item_labels(path.read_text(encoding="utf-8"))
        assert labels, f"no item found in {path.name}"
        results += [(label, classify_item(label)) for label in labels]
    assert len(results) >= 180
    other = [label for label, c in results if c.category == str(TX.other)]
    outside = [label for label, c in results if not c.in_vocabulary]
    with capsys.disabled():
        print(f"\n{len(results)} item labels; tx:other: {len(other)}; outside vocabulary: "
              f"{len(outside)}")
        for label in sorted(set(outside)):
            print(f"  outside vocabulary: {label}")
    assert len(outside) <= 0.05 * len(results)
    for label, c in results:
        assert c.category.startswith(str(TX))
        assert not c.is_medication or c.medication_name or c.drug_class, label


@pytest.mark.corpus
def test_corpus_triples_use_declared_properties() -> None:
    """Every predicate classification_triples writes is declared in treatments.ttl."""
    graph = treatment_graph()
    item = URIRef("https://w3id.org/imrgraph/id/determination/test/item/1")
    used: set[URIRef] = set()
    for path in corpus_letters():
        for label in item_labels(path.read_text(encoding="utf-8")):
            used |= {p for _, p, _ in classification_triples(item, classify_item(label))}
    assert IMR.treatmentCategory in used and IMR.totalVisits in used
    for prop in used:
        kinds = set(graph.objects(prop, RDF.type))
        assert kinds & {OWL.ObjectProperty, OWL.DatatypeProperty}, prop
        assert graph.value(prop, RDFS.label) and graph.value(prop, RDFS.comment), prop
        assert graph.value(prop, RDFS.domain) == IMR.DisputedItem, prop
    for undeclared in (IMR.DisputedItem, IMR.inVocabulary):
        assert (undeclared, RDF.type, None) not in graph


def test_classification_triples() -> None:
    item = URIRef("https://w3id.org/imrgraph/id/determination/x/item/1")
    triples = set(classification_triples(item, classify_item("Norco 10/325mg #90")))
    assert (item, IMR.treatmentCategory, TX.opioid) in triples
    assert (item, IMR.drugClass, TX.opioid) in triples
    assert (item, IMR.drug, URIRef(TXD + "hydrocodone-acetaminophen")) in triples
    assert (item, IMR.medicationName, Literal("Norco")) in triples
    assert (item, IMR.strength, Literal("10/325mg")) in triples
    assert (item, IMR.dispensedCount, Literal(90, datatype=XSD.integer)) in triples
    pt = set(classification_triples(item, classify_item(
        "Physical Therapy 2 x 4 week, Lumbar Spine")))
    assert (item, IMR.bodyRegion, RG["lumbar-spine"]) in pt
    assert (item, IMR.sessionsPerWeek, Literal(2, datatype=XSD.integer)) in pt
    assert (item, IMR.weeks, Literal(4, datatype=XSD.integer)) in pt
    assert (item, IMR.totalVisits, Literal(8, datatype=XSD.integer)) in pt
    other = classification_triples(item, classify_item("Frobnication"))
    assert other == [(item, IMR.treatmentCategory, TX.other)]


# ------------------------------------------------------------------ vocabulary sanity


@pytest.mark.parametrize("scheme", [TX.scheme, RG.scheme])
def test_vocabulary_is_well_formed(scheme: URIRef) -> None:
    graph = treatment_graph()
    concepts = set(graph.subjects(SKOS.inScheme, scheme))
    assert len(concepts) > 10
    tops = set(graph.subjects(SKOS.topConceptOf, scheme))
    assert tops <= concepts
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in graph
        assert len(list(graph.objects(concept, SKOS.prefLabel))) == 1, concept
        if concept in tops:
            assert graph.value(concept, SKOS.broader) is None, concept
            continue
        # every broader chain ends at a top concept of the same scheme, without cycles
        todo, seen = [concept], {concept}
        while todo:
            current = todo.pop()
            parents = set(graph.objects(current, SKOS.broader))
            assert parents or current in tops, f"{current} ends below the top"
            for parent in parents:
                assert parent in concepts, f"{current} broader {parent} outside the scheme"
                assert parent not in seen, f"cycle at {parent}"
                seen.add(parent)
                todo.append(parent)


@pytest.mark.parametrize("scheme", [TX.scheme, RG.scheme])
def test_labels_are_unambiguous(scheme: URIRef) -> None:
    """A label written the same way must not name two concepts of one scheme."""
    from imrgraph.resolve.treatments import _phrase

    graph = treatment_graph()
    owner: dict[tuple[str, ...], URIRef] = {}
    for concept in graph.subjects(SKOS.inScheme, scheme):
        for prop in (SKOS.prefLabel, SKOS.altLabel, SKOS.hiddenLabel):
            for label in graph.objects(concept, prop):
                key = _phrase(str(label))
                assert key, f"{concept}: label {label!r} has no words"
                assert owner.setdefault(key, concept) == concept, (
                    f"{label!r} names {owner[key]} and {concept}")


def test_drug_lexicon() -> None:
    graph = treatment_graph()
    drugs = set(graph.objects(TX.drugs, SKOS.member))
    assert len(drugs) >= 60
    declared = {s for s in graph.subjects(SKOS.inScheme, TX.scheme) if str(s).startswith(TXD)}
    assert drugs == declared
    for drug in drugs:
        classes = list(graph.objects(drug, SKOS.broader))
        assert len(classes) == 1, drug
        assert TX.medication in set(graph.transitive_objects(classes[0], SKOS.broader)), drug
        assert str(classes[0]).startswith(str(TX)) and classes[0] not in drugs, drug
    for name in ("Norco", "hydrocodone", "Percocet", "oxycodone", "tramadol", "Ultram",
                 "gabapentin", "Neurontin", "pregabalin", "Lyrica", "cyclobenzaprine", "Flexeril",
                 "Norflex", "orphenadrine", "baclofen", "tizanidine", "omeprazole", "Prilosec",
                 "pantoprazole", "Pepcid", "famotidine", "Lidoderm", "lidocaine", "Flector",
                 "diclofenac", "Voltaren", "naproxen", "ibuprofen", "meloxicam", "Celebrex",
                 "Salonpas", "venlafaxine", "duloxetine", "Cymbalta", "amitriptyline", "Zofran",
                 "Ambien", "trazodone", "Viagra", "Tabradol", "Synapryn"):
        c = classify_item(name)
        assert c.is_medication and c.drugs and c.drug_class, name


def test_regions_keep_unknown_explicit() -> None:
    graph = treatment_graph()
    assert (RG.unknown, SKOS.inScheme, RG.scheme) in graph
    assert (RG.unstated, None, None) not in graph
    assert classify_item("Physical therapy 12 sessions").regions == []
