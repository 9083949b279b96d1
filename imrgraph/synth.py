"""Synthetic IMR determination letters, with the facts each one states (its ground truth).

Why: the corpus has 77 letters; measuring the pipeline at 10,000-100,000 letters, and checking
the parser on many more recombinations than the corpus holds, needs letters that look like the
real ones.  The generator recombines the structures seen in the corpus (header table wrapped
over lines as pypdf extracts it, credentials as a table or in prose, a case summary with age,
sex and date of injury, 1-21 items whose headings may wrap, put the outcome on its own line or
state a partial authorisation in either wording, both parties' guideline statements in the
forms the letters use, and a rationale) in the two text layouts of the corpus: 2016-17 letters
(single-spaced lines with a trailing space, page breaks as empty lines) and 2015 letters (every
line followed by an empty line).

The building blocks are module constants, so the package works without the corpus.  Every
letter depends only on ``(seed, index)``: the same seed gives the same bytes, and letters can be
generated in any order or in parallel.  Case numbers are unique within a run (CMyy-5nnnnnn and
up, above the real letters' numbers, so synthetic and bundled letters never collide).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

__all__ = [
    "CitationTruth",
    "ItemTruth",
    "LetterTruth",
    "StatementTruth",
    "generate",
    "generate_letter",
    "generate_with_truth",
    "summary_counts",
    "truth_jsonable",
    "write_corpus",
]

GL = "https://w3id.org/imrgraph/guideline/"

# ----------------------------------------------------------------------------- ground truth


@dataclass(frozen=True)
class CitationTruth:
    """One citation: the guideline concept it resolves to and its cited pages ("98-99")."""

    guideline: str  # IRI
    pages: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatementTruth:
    party: str  # "claims-administrator" | "expert-reviewer"
    cited_no_evidence: bool
    outside_mtus: bool
    citations: tuple[CitationTruth, ...]


@dataclass(frozen=True)
class ItemTruth:
    label: str
    outcome: str  # "Upheld" | "Overturned"
    original_request: str | None
    authorized_portion: str | None
    statements: tuple[StatementTruth, ...]
    rationale: str


@dataclass(frozen=True)
class LetterTruth:
    """What the letter states, as the parser should read it (whitespace collapsed)."""

    name: str
    layout: str  # "2016" | "2015"
    case_number: str
    date_assigned: date
    date_of_injury: date
    decision_date: date
    ur_denial_date: date
    application_received: date
    priority: str
    age: int
    sex: str  # "female" | "male"
    credential_form: str  # "table" | "prose"
    specialties: tuple[str, ...]
    licensure_states: tuple[str, ...]
    items: tuple[ItemTruth, ...] = field(default_factory=tuple)


# ----------------------------------------------------------------------------- building blocks
# Section titles and citation wordings are those of the real letters; each maps to the
# guideline concept (slug under gl:) that the letter's words denote.

#: MTUS works/chapters as 2016-17 letters name them: key -> (title, year, slug, sections)
MTUS_HEADS: dict[str, tuple[str, str, str, dict[str, str]]] = {
    "low-back": ("Low Back Complaints", "2004", "mtus-acoem/ch12", {
        "Special Studies": "special-studies", "Diagnostic Criteria": "diagnostic-criteria",
        "Physical Methods": "physical-methods", "Surgical Considerations":
        "surgical-considerations", "Initial Care": "initial-care", "Summary": "summary",
        "General Approach": "general-approach"}),
    "neck": ("Neck and Upper Back Complaints", "2004", "mtus-acoem/ch8", {
        "Special Studies": "special-studies", "Diagnostic Criteria": "diagnostic-criteria",
        "Initial Care": "initial-care"}),
    "shoulder": ("Shoulder Complaints", "2004", "mtus-acoem/ch9", {
        "Special Studies": "special-studies", "Surgical Considerations":
        "surgical-considerations", "Initial Care": "initial-care", "Summary": "summary"}),
    "knee": ("Knee Complaints", "2004", "mtus-acoem/ch13", {
        "Special Studies": "special-studies", "Initial Care": "initial-care",
        "Diagnostic Criteria": "diagnostic-criteria"}),
    "hand": ("Forearm, Wrist, and Hand Complaints", "2004", "mtus-acoem/ch11", {
        "Special Studies": "special-studies", "Diagnostic Criteria": "diagnostic-criteria",
        "Physical Methods": "physical-methods", "Work-Relatedness": "work-relatedness"}),
    "elbow": ("Elbow Complaints", "2007", "mtus-acoem/ch10", {
        "Diagnostic Criteria": "diagnostic-criteria", "Recommendations": "recommendations"}),
    "postsurgical": ("Postsurgical Treatment", "2009", "mtus-postsurgical", {
        "Shoulder": "shoulder", "Forearm, Wrist, & Hand": "forearm-wrist-and-hand",
        "Elbow & Upper Arm": "elbow-and-upper-arm"}),
    "chronic-pain": ("Chronic Pain Medical Treatment", "2016", "mtus-chronic-pain", {
        "Electrodiagnostic testing (EMG/NCS)": "electrodiagnostic-testing",
        "Physical medicine treatment": "physical-medicine",
        "Manual therapy & manipulation": "manual-therapy-manipulation",
        "NSAIDs (non-steroidal anti-inflammatory drugs)": "nsaids",
        "NSAIDs, specific drug list & adverse effects": "nsaids-specific-drug-list",
        "NSAIDs, GI symptoms & cardiovascular risk": "nsaids-gi-cardiovascular-risk",
        "Proton Pump Inhibitors (PPIs)": "proton-pump-inhibitors",
        "Muscle relaxants (for pain)": "muscle-relaxants",
        "Cyclobenzaprine (Flexeril)": "cyclobenzaprine",
        "Topical analgesics": "topical-analgesics", "Compound drugs": "compound-drugs",
        "Lidoderm (lidocaine patch)": "lidoderm",
        "Flector patch (diclofenac epolamine)": "flector-patch",
        "Psychological treatment": "psychological-treatment", "Biofeedback": "biofeedback",
        "Antidepressants for chronic pain": "antidepressants",
        "TENS, chronic pain (transcutaneous electrical nerve stimulation)": "tens",
        "Office visits": "office-visits", "Home health services": "home-health-services",
        "Facet blocks": "facet-blocks", "Benzodiazepines": "benzodiazepines",
        "Ultrasound, therapeutic": "ultrasound-therapeutic",
        "Bupropion (Wellbutrin\u00ae)": "bupropion"}),
    "opioid": ("Opioid Treatment", "2016", "mtus-opioid", {
        "3.3.9 Opioids for Chronic Pain and Chronic Opioid Treatment: Maintenance of Chronic "
        "Opioid Treatment": "3-3-9",
        "1.4 Opioids for Acute Pain: Opioids for Post-operative Pain": "1-4",
        "3.3.6 Opioids for Chronic Pain and Chronic Opioid Treatment: Use of Urine Drug "
        "Testing (UDT)": "3-3-6",
        "3.3 Opioids for Chronic Pain and Chronic Opioid Treatment: Initiating and Monitoring "
        "Chronic Opioid Treatment": "3-3",
        "1.3 Opioids for Acute Pain: Severe Acute Injuries": "1-3"}),
    "acupuncture": ("Acupuncture Treatment", "2007", "mtus-acupuncture", {}),
}

#: Non-MTUS citations: key -> (words after "Non-MTUS Citation", slugs cited, page span or None)
#: A page span means the words end with "{pages}", filled in with pages from that span.
NON_MTUS: dict[str, tuple[str, tuple[str, ...], tuple[int, int] | None]] = {
    "odg-low-back": ("Official Disability Guidelines (ODG), Low Back Chapter",
                     ("odg/low-back",), None),
    "odg-low-back-mri": ("Official Disability Guidelines (ODG), Low Back Chapter, Indications "
                         "for imaging-Magnetic resonance imaging", ("odg/low-back/mri",), None),
    "odg-low-back-esi": ("Official Disability Guidelines (ODG) Low Back, Epidural steroid "
                         "injections (ESIs)", ("odg/low-back/epidural-steroid-injections",), None),
    "odg-low-back-manip": ("Official Disability Guidelines (ODG) Low Back, Manipulation",
                           ("odg/low-back/manipulation",), None),
    "odg-low-back-heat": ("Official Disability Guidelines (ODG) Low Back Chapter, Heat therapy",
                          ("odg/low-back/heat-therapy",), None),
    "odg-low-back-pt": ("Official Disability Guidelines, Low Back - Lumbar & Thoracic (Acute & "
                        "Chronic), Physical Therapy", ("odg/low-back/physical-therapy",), None),
    "odg-neck": ("Official Disability Guidelines (ODG), Neck and Upper Back Chapter",
                 ("odg/neck-upper-back",), None),
    "odg-neck-manip": ("Official Disability Guidelines (ODG) Neck and Upper Back (Acute and "
                       "Chronic) Manipulation", ("odg/neck-upper-back/manipulation",), None),
    "odg-neck-mri": ("Official Disability Guidelines (ODG), Neck and Upper Back (updated "
                     "11/16/16), Magnetic Resonance Imaging (MRI)", ("odg/neck-upper-back/mri",),
                     None),
    "odg-neck-pillow": ("Official Disability Guidelines (ODG), Neck and Upper Back Chapter, "
                        "Pillow", ("odg/neck-upper-back/pillow",), None),
    "odg-shoulder": ("Official Disability Guidelines (ODG), Shoulder", ("odg/shoulder",), None),
    "odg-shoulder-mri": ("Official Disability Guidelines (ODG), Shoulder Chapter, Magnetic "
                         "resonance imaging (MRI)", ("odg/shoulder/mri",), None),
    "odg-shoulder-cryo": ("Official Disability Guidelines (ODG) Shoulder, Continuous-flow "
                          "cryotherapy", ("odg/shoulder/continuous-flow-cryotherapy",), None),
    "odg-shoulder-sling": ("Official Disability Guidelines (ODG) Shoulder, Postoperative "
                           "abduction pillow sling",
                           ("odg/shoulder/postoperative-abduction-pillow-sling",), None),
    "odg-knee-mri": ("Official Disability Guidelines, Knee and Leg Chapter, MRIs (magnetic "
                     "resonance imaging)", ("odg/knee-leg/mri",), None),
    "odg-knee-dme": ("Official Disability Guidelines (ODG) Knee & Leg, Durable medical "
                     "equipment (DME)", ("odg/knee-leg/durable-medical-equipment",), None),
    "odg-hand-mri": ("Official Disability Guidelines (ODG), Forearm, Wrist, and Hand Chapter, "
                     "MRI's (magnetic resonance imaging)", ("odg/forearm-wrist-hand/mri",), None),
    "odg-carpal": ("Official Disability Guidelines (ODG), Carpal Tunnel Syndrome Chapter",
                   ("odg/carpal-tunnel-syndrome",), None),
    "odg-hip-mri": ("Official Disability Guidelines (ODG) Hip & Pelvis, MRI (magnetic resonance "
                    "imaging)", ("odg/hip-pelvis/mri",), None),
    "odg-hip-xray": ("Official Disability Guidelines (ODG) Hip & Pelvis, X-Ray",
                     ("odg/hip-pelvis/x-ray",), None),
    "odg-pain": ("Official Disability Guidelines (ODG), Pain", ("odg/pain",), None),
    "odg-pain-topical": ("Official Disability Guidelines (ODG) Pain Chapter, Topical Analgesics",
                         ("odg/pain/topical-analgesics",), None),
    "odg-pain-flexeril": ("Official Disability Guidelines (ODG), Pain (Chronic), "
                          "Cyclobenzaprine (Flexeril)", ("odg/pain/cyclobenzaprine",), None),
    "odg-pain-lidoderm": ("Official Disability Guidelines (ODG), Pain (Chronic), Lidoderm "
                          "(Lidocaine patch)", ("odg/pain/lidoderm",), None),
    "odg-pain-home": ("Official Disability Guidelines (ODG) Pain (Chronic), Home Health Services",
                      ("odg/pain/home-health-services",), None),
    "odg-pt": ("Official Disability Guidelines (ODG), Physical Therapy Guidelines",
               ("odg/preface/physical-therapy-guidelines",), None),
    "odg-chiro": ("Official Disability Guidelines (ODG), Chiropractic Guidelines",
                  ("odg/chiropractic-guidelines",), None),
    "odg-head-ct": ("Official Disability Guidelines (ODG) Head, CT", ("odg/head/ct",), None),
    "odg-elbow-splint": ("Official Disability Guidelines (ODG) Elbow, Splinting",
                         ("odg/elbow/splinting",), None),
    "odg-two-chapters": ("Official Disability Guidelines (ODG), Low Back, Physical therapy; Neck "
                         "and Upper Back, Manipulation",
                         ("odg/low-back/physical-therapy", "odg/neck-upper-back/manipulation"),
                         None),
    "acoem3-low-back": ("ACOEM Occupational Medicine Practice Guidelines, 3rd ed., Low Back "
                        "Disorders, pg. {pages}", ("acoem-3/low-back",), (590, 640)),
    "acoem-ime": ("ACOEM Guidelines, Chapter 7, Independent Medical Examinations and "
                  "Consultations, page {pages}", ("mtus-acoem/ch7",), (127, 146)),
    "acr-low-back": ("American College of Radiology, Appropriateness Criteria for the Imaging of "
                     "Lower Back Pain, Revised 2011", ("acr-appropriateness/low-back-pain",),
                     None),
}

#: 2015-layout MTUS pieces "<words> Page(s): <pages>": key -> (words, slug, page span)
MTUS_2015: dict[str, tuple[str, str, tuple[int, int]]] = {
    "acoem-low-back": ("ACOEM Chapter 12 Low Back Complaints", "mtus-acoem/ch12", (287, 326)),
    "acoem-neck": ("ACOEM Chapter 8 Neck and Upper Back Complaints", "mtus-acoem/ch8", (165, 194)),
    "acoem-shoulder": ("ACOEM Chapter 9 Shoulder Complaints", "mtus-acoem/ch9", (195, 224)),
    "acoem-knee": ("ACOEM Chapter 13 Knee Complaints", "mtus-acoem/ch13", (329, 360)),
    "acoem-hand": ("ACOEM Chapter 11 Forearm, Wrist, and Hand Complaints", "mtus-acoem/ch11",
                   (253, 285)),
    "acoem-ime": ("ACOEM Chapter 7 Independent Medical Examinations and Consultations",
                  "mtus-acoem/ch7", (127, 146)),
    "acupuncture": ("Acupuncture Medical Treatment Guidelines", "mtus-acupuncture", (8, 13)),
}
#: 2015 Chronic Pain Treatment Guidelines topics: key -> (words, slug, page span)
CHRONIC_PAIN_2015: dict[str, tuple[str, str, tuple[int, int]]] = {
    "physical-medicine": ("Physical Medicine", "mtus-chronic-pain/physical-medicine", (98, 99)),
    "manual-therapy": ("Manual therapy & manipulation",
                       "mtus-chronic-pain/manual-therapy-manipulation", (58, 60)),
    "muscle-relaxants": ("Muscle relaxants (for pain)", "mtus-chronic-pain/muscle-relaxants",
                         (63, 66)),
    "nsaids": ("NSAIDs", "mtus-chronic-pain/nsaids", (67, 73)),
    "opioids": ("Opioids", "mtus-chronic-pain/opioids", (74, 96)),
    "topical": ("Topical Analgesics", "mtus-chronic-pain/topical-analgesics", (111, 113)),
    "tens": ("TENS", "mtus-chronic-pain/tens", (114, 116)),
    "acupuncture": ("Acupuncture", "mtus-chronic-pain/acupuncture", (8, 9)),
}


@dataclass(frozen=True)
class Family:
    """Treatments that are requested, cited and argued about the same way."""

    name: str
    labels: tuple[str, ...]
    #: (original request, authorised portion, disputed remainder) templates; {a},{b},{c} counts
    partial: tuple[tuple[str, int, int], ...]
    mtus: tuple[tuple[str, tuple[str, ...]], ...]  # (MTUS_HEADS key, sections to draw from)
    non_mtus: tuple[str, ...]  # NON_MTUS keys
    mtus_2015: tuple[str, ...]  # MTUS_2015 keys
    chronic_2015: tuple[str, ...]  # CHRONIC_PAIN_2015 keys
    reasons: tuple[str, ...]
    region: str


_REGION_DX = {
    "lumbar": ("lumbar sprain/strain", "lumbar radiculopathy", "lumbar degenerative disc disease",
               "low back pain", "lumbar disc protrusion"),
    "cervical": ("cervical sprain/strain", "cervical radiculopathy", "neck pain",
                 "cervical disc displacement"),
    "shoulder": ("right shoulder impingement", "left shoulder rotator cuff tear",
                 "shoulder contusion", "adhesive capsulitis of the shoulder"),
    "knee": ("right knee internal derangement", "left knee meniscus tear", "knee sprain",
             "patellofemoral syndrome"),
    "hand": ("bilateral carpal tunnel syndrome", "right wrist sprain", "trigger finger",
             "left hand contusion"),
    "pain": ("chronic pain syndrome", "myofascial pain", "insomnia", "depression",
             "gastritis"),
}

FAMILIES: tuple[Family, ...] = (
    Family("lumbar-imaging",
           ("MRI of the lumbar spine", "MRI of the lumbar spine without contrast",
            "MRI for lumbar spine with contrast", "X-rays of the lumbar spine",
            "CT scan of the thoracic spine", "Single positional MRI of the lumbar spine",
            "MARS MRI scan of lumbar spine", "MRI/CT of the spine and pelvis"),
           (), (("low-back", ("Special Studies", "Diagnostic Criteria")),),
           ("odg-low-back", "odg-low-back-mri", "acr-low-back", "acoem3-low-back"),
           ("acoem-low-back",), (),
           ("CA MTUS/ACOEM Guidelines state that unequivocal objective findings that identify "
            "specific nerve compromise on the neurologic examination are sufficient evidence to "
            "warrant imaging in patients who do not respond to treatment.",
            "Imaging of the lumbar spine is not recommended in the absence of red flags or a "
            "progressive neurologic deficit.",
            "The submitted records do not document a change in the neurologic examination since "
            "the prior study."), "lumbar"),
    Family("cervical-imaging",
           ("MRI of the cervical spine without contrast", "Cervical spine MRI without contrast",
            "MRI (magnetic resonance imaging) of the cervical spine", "Cervical CT scan",
            "MRI scan of the cervical spine", "MRI of the cervical and thoracic spine"),
           (), (("neck", ("Special Studies", "Diagnostic Criteria", "Initial Care")),),
           ("odg-neck", "odg-neck-mri"), ("acoem-neck",), (),
           ("MTUS guidelines support imaging of the cervical spine when physiologic evidence "
            "of tissue insult or neurologic dysfunction is present.",
            "Criteria for ordering imaging studies include emergence of a red flag, failure to "
            "progress in a strengthening program, and clarification of the anatomy prior to an "
            "invasive procedure.",
            "There is no documentation of a neurological deficit on the most recent "
            "examination."), "cervical"),
    Family("shoulder",
           ("MRI of the right shoulder without contrast", "MRI of the left shoulder",
            "X-rays of the left shoulder",
            "Right shoulder arthroscopy RCR (rotator cuff repair) and decompression",
            "Associated surgical service: Shoulder sling with abduction pillow",
            "Associated surgical service: Cold therapy for one week"),
           (), (("shoulder", ("Special Studies", "Surgical Considerations", "Initial Care",
                              "Summary")),
                ("postsurgical", ("Shoulder",))),
           ("odg-shoulder", "odg-shoulder-mri", "odg-shoulder-cryo", "odg-shoulder-sling"),
           ("acoem-shoulder",), (),
           ("For most patients with shoulder problems, special studies are not needed unless a "
            "four to six week period of conservative care and observation fails to improve "
            "symptoms.",
            "Surgical consultation is indicated for patients who have activity limitation for "
            "more than four months plus the existence of a surgical lesion.",
            "The records describe only mild tenderness and near full range of motion."),
           "shoulder"),
    Family("knee",
           ("MRI of the right knee", "MRI of the left knee without contrast",
            "Left knee MRI without contrast", "Hinged knee brace", "Wedge pillow"),
           (), (("knee", ("Special Studies", "Initial Care", "Diagnostic Criteria")),),
           ("odg-knee-mri", "odg-knee-dme"), ("acoem-knee",), (),
           ("Most knee problems improve quickly once any red flag issues are ruled out.",
            "Reliance only on imaging studies to evaluate the source of knee symptoms may carry "
            "a significant risk of diagnostic confusion.",
            "The injured worker has not had a trial of conservative care for the knee."),
           "knee"),
    Family("hand",
           ("MRI of neck and right hand without contrast", "Wrist braces #2", "Elbow braces #2",
            "Single positional MRI of the right hand", "MRI without contrast of the right elbow"),
           (), (("hand", ("Special Studies", "Diagnostic Criteria", "Physical Methods",
                          "Work-Relatedness")),
                ("elbow", ("Diagnostic Criteria", "Recommendations"))),
           ("odg-hand-mri", "odg-carpal", "odg-elbow-splint"), ("acoem-hand",), (),
           ("For most patients presenting with true hand and wrist problems, special studies "
            "are not needed until after a four to six week period of conservative care.",
            "Splinting is recommended as first line conservative treatment for carpal tunnel "
            "syndrome.",
            "There is no evidence of a red flag condition of the wrist or hand."), "hand"),
    Family("electrodiagnostic",
           ("EMG/NCV of the lower extremities", "EMG/NCV of the upper extremities",
            "EMG (electromyography)/NCV (nerve conduction velocity) of the bilateral upper "
            "extremities", "NCS of the left upper extremity",
            "Nerve Conduction Studies of the lower extremities", "EMG bilateral lower extremities"),
           (), (("chronic-pain", ("Electrodiagnostic testing (EMG/NCS)",)),
                ("low-back", ("Special Studies",)), ("neck", ("Special Studies",))),
           ("odg-low-back", "odg-carpal"), ("acoem-low-back", "acoem-neck"), (),
           ("Electromyography may be useful to identify subtle focal neurologic dysfunction in "
            "patients with low back symptoms lasting more than three or four weeks.",
            "Nerve conduction studies are not recommended when a patient is presumed to have "
            "symptoms on the basis of radiculopathy.",
            "The physical examination does not describe sensory or motor deficits in a "
            "dermatomal distribution."), "lumbar"),
    Family("physical-therapy",
           ("Physical therapy 12 sessions", "Physical therapy 2-3 times a week for 6 weeks",
            "Additional physical therapy lumbar spine two times a week for three weeks",
            "Post-op physical therapy 2 times a week for 4 weeks",
            "Physical therapy evaluation, cervical and thoracic spine",
            "Four sessions of therapeutic exercise two times a week times 2 weeks",
            "Spinal stabilization program 2x4 lumbar", "Infrared heat to the low back two times "
            "a week times six weeks"),
           (("Physical therapy to the low back {a} sessions",
             8, 6), ("Occupational therapy for {a} sessions", 9, 3),
            ("Physical therapy for the right knee {a} sessions", 12, 6),
            ("Continuation of left hand therapy for {a} sessions", 12, 6)),
           (("chronic-pain", ("Physical medicine treatment", "Ultrasound, therapeutic")),),
           ("odg-pt", "odg-low-back-pt", "odg-low-back-heat", "odg-two-chapters"), (),
           ("physical-medicine", "tens"),
           ("The MTUS recommends fading of treatment frequency from up to three visits per "
            "week to one or less, plus active self-directed home physical medicine.",
            "The guidelines allow for 9 to 10 visits over 8 weeks for myalgia and myositis.",
            "The number of sessions already completed and their functional benefit are not "
            "documented.",
            "The injured worker should be able to continue with a home exercise program."),
           "lumbar"),
    Family("chiropractic",
           ("Chiropractic care to the low back two times a week for four weeks",
            "Additional chiropractic three times a week for two weeks for the lumbar spine",
            "Spinal manipulation 1 times 8", "Referral to chiropractor for evaluation of low back "
            "pain and left groin pain, twice a week for 3 weeks"),
           (("Chiropractic spinal manipulation times {a}", 12, 6),
            ("Chiropractic therapy sessions for the cervical spine, #{a}", 8, 6)),
           (("chronic-pain", ("Manual therapy & manipulation",)),),
           ("odg-neck-manip", "odg-low-back-manip", "odg-chiro"), (), ("manual-therapy",),
           ("Manual therapy and manipulation is recommended for chronic pain if caused by "
            "musculoskeletal conditions, with a trial of 6 visits over 2 weeks.",
            "With evidence of objective functional improvement, a total of up to 18 visits over "
            "6 to 8 weeks may be appropriate.",
            "Elective or maintenance care is not medically necessary."), "lumbar"),
    Family("acupuncture",
           ("Acupuncture 3 times a week for 2 weeks, neck, right hand and head",
            "Acupuncture therapy sessions lumbar spine #6",
            "Electro acupuncture to the low back two times a week times six weeks"),
           (("Acupuncture {a} sessions", 18, 6),),
           (("acupuncture", ()),), ("odg-pain",), ("acupuncture",), ("acupuncture",),
           ("Acupuncture is used as an option when pain medication is reduced or not tolerated.",
            "The time to produce functional improvement is 3 to 6 treatments, and treatments "
            "may be extended if functional improvement is documented.",
            "The records do not document functional improvement from prior acupuncture."),
           "lumbar"),
    Family("nsaid",
           ("Naproxen 550mg #60", "Diclofenac ER 100mg #60", "Celecoxib 200mg #90", "Etodolac",
            "Anti-inflammatory medication"),
           (),
           (("chronic-pain", ("NSAIDs (non-steroidal anti-inflammatory drugs)",
                              "NSAIDs, specific drug list & adverse effects")),),
           ("odg-pain",), (), ("nsaids",),
           ("NSAIDs are recommended at the lowest dose for the shortest period in patients with "
            "moderate to severe pain.",
            "There is no evidence of long-term effectiveness for pain or function.",
            "The medical records do not document a reduction in pain scores with the use of this "
            "medication."), "pain"),
    Family("ppi",
           ("Pantoprazole 40mg, one by mouth, twice a day #60 with one refill",
            "Pantoprazole sodium 20mg #60", "Prilosec 20mg #90", "Omeprazole", "Pepcid 20mg"),
           (),
           (("chronic-pain", ("NSAIDs, GI symptoms & cardiovascular risk",
                              "Proton Pump Inhibitors (PPIs)")),),
           ("odg-pain",), (), ("nsaids",),
           ("Proton pump inhibitors are recommended for patients at intermediate or high risk "
            "for gastrointestinal events who use NSAIDs.",
            "Risk factors include age over 65 years, a history of peptic ulcer, GI bleeding or "
            "perforation, and concurrent use of aspirin or corticosteroids.",
            "No gastrointestinal risk factors are documented in this case."), "pain"),
    Family("muscle-relaxant",
           ("Cyclobenzaprine 7.5mg #60", "Flexeril 10mg #60", "Norflex 100mg #60",
            "Orphenadrine Citrate ER 100mg tabs #30", "Muscle relaxing medication",
            "Retrospective Cyclobenzaprine 5mg tab #30 DOS: 11/14/16"),
           (("Cyclobenzaprine 7.5mg #{a}", 90, 63), ("Baclofen 10mg #{a}", 30, 27)),
           (("chronic-pain", ("Muscle relaxants (for pain)", "Cyclobenzaprine (Flexeril)")),),
           ("odg-pain-flexeril", "odg-pain"), (), ("muscle-relaxants",),
           ("Muscle relaxants are recommended with caution as a second line option for short "
            "term treatment of acute exacerbations of chronic low back pain.",
            "Efficacy appears to diminish over time, and prolonged use may lead to dependence.",
            "The injured worker has used this medication for longer than the recommended "
            "period."), "pain"),
    Family("opioid",
           ("Norco 5/325mg oral tablet, one tablet twice daily 14 days #40", "Ultram 50mg #30",
            "Oxycodone HCL ER 20mg #60 day supply: 30", "Post-op Percocet 5/325mg",
            "Urine Test", "Analgesic medication"),
           (("Norco 10/325mg #{a}", 60, 25), ("Tramadol 50mg #{a}", 90, 30)),
           (("opioid", tuple(MTUS_HEADS["opioid"][3])),),
           ("odg-pain",), (), ("opioids",),
           ("Ongoing opioid treatment requires documentation of pain relief, functional status, "
            "appropriate medication use and side effects.",
            "The records do not include a pain assessment with current pain, least reported "
            "pain and duration of relief.",
            "Weaning is recommended when there is no overall improvement in function."), "pain"),
    Family("topical",
           ("Lidocaine 5% patch #1", "Flector 1.3% transdermal patch",
            "Ketoprofen 20% in cream base 240g", "Salonpas pad #60", "Anecream cream 4% #30",
            "Flurbiprofen 20%, Baclofen 5%, Dexamethasone 2%, Menthol 2%, Capsaicin 0.025% in "
            "cream base", "Lidoderm patch, 12 hours on 12 hours off to affected area, #1 box "
            "with 1 refill, DOS: 11/11/2016"),
           (),
           (("chronic-pain", ("Topical analgesics", "Compound drugs",
                              "Lidoderm (lidocaine patch)",
                              "Flector patch (diclofenac epolamine)")),),
           ("odg-pain-topical", "odg-pain-lidoderm"), (), ("topical",),
           ("Topical analgesics are largely experimental in use with few randomized controlled "
            "trials to determine efficacy or safety.",
            "Any compounded product that contains at least one drug that is not recommended is "
            "not recommended.",
            "There is no documentation of failed trials of antidepressants and "
            "anticonvulsants."), "pain"),
    Family("psych",
           ("Comprehensive psychological testing", "Bupropion HCL 150mg #90",
            "Venlafaxine HCL ER 37.5mg #90", "Diazepam 5mg #10",
            "Four sessions of biofeedback two times a week times 2 weeks"),
           (),
           (("chronic-pain", ("Psychological treatment", "Biofeedback",
                              "Antidepressants for chronic pain", "Benzodiazepines",
                              "Bupropion (Wellbutrin\u00ae)")),),
           ("odg-pain",), (), (),
           ("Psychological treatment is recommended for appropriately identified patients "
            "during treatment for chronic pain.",
            "Benzodiazepines are not recommended for long-term use because long-term efficacy "
            "is unproven and there is a risk of dependence.",
            "The records do not describe the symptoms that this treatment is intended to "
            "address."), "pain"),
    Family("dme",
           ("TENS unit", "Cervical pillow", "Lumbar support", "Hot/cold therapy wrap",
            "Custom touch back heat therapy pad", "Back support"),
           (("Standard wheelchair for a {a} month rental", 3, 1),),
           (("chronic-pain", ("TENS, chronic pain (transcutaneous electrical nerve "
                              "stimulation)",)),),
           ("odg-knee-dme", "odg-neck-pillow", "odg-low-back-heat"), (), ("tens",),
           ("Durable medical equipment is recommended generally if there is a medical need and "
            "if the device or system meets the definition of durable medical equipment.",
            "A one-month home-based trial of TENS may be considered as a noninvasive conservative "
            "option if used as an adjunct to a program of evidence-based functional "
            "restoration.",
            "The guidelines do not recommend this device for the injured worker's condition."),
           "lumbar"),
    Family("visits",
           ("Initial exam", "Functional capacity evaluation (FCE)", "Medical Clearance",
            "Spine surgery evaluation for the lumbar", "TOC to ortho spine surgeon eval and "
            "treatment", "Physical exam 2 times 8"),
           (),
           (("chronic-pain", ("Office visits",)), ("low-back", ("General Approach",))),
           ("acoem-ime",), ("acoem-ime",), (),
           ("The need for a clinical office visit with a health care provider is individualized "
            "based upon a review of the patient concerns, signs and symptoms, and clinical "
            "stability.",
            "A referral may be appropriate when the diagnosis is uncertain or extremely complex.",
            "The treating physician has not explained how the evaluation would change the "
            "treatment plan."), "lumbar"),
    Family("home-health",
           ("Daily RN for 4 weeks for wound care and monitoring of wound healing and home safety, "
            "medication management", "Home health aide 4 hours per day for 2 weeks"),
           (("Home aide {a} hours per day, 5 times a week for 4 weeks", 12, 6),),
           (("chronic-pain", ("Home health services",)),),
           ("odg-pain-home",), (), (),
           ("Home health services are recommended only for otherwise recommended medical "
            "treatment for patients who are homebound, on a part-time or intermittent basis.",
            "Medical treatment does not include homemaker services or personal care when this "
            "is the only care needed.",
            "The injured worker is not documented to be homebound."), "knee"),
    Family("injection",
           ("Left L5-S1 epidural steroid injection", "Right L5-S1 epidural steroid injection",
            "Facet joint injections L4-5, L5-S1", "Injection of neurolytic substance, lumbar "
            "spine", "Neuroplasty, lumbar spine"),
           (),
           (("low-back", ("Physical Methods", "Surgical Considerations")),
            ("chronic-pain", ("Facet blocks",))),
           ("odg-low-back-esi", "odg-low-back"), ("acoem-low-back",), (),
           ("Epidural steroid injections are recommended as an option for treatment of "
            "radicular pain, defined as pain in a dermatomal distribution with corroborative "
            "findings of radiculopathy.",
            "Radiculopathy must be documented by physical examination and corroborated by "
            "imaging studies and electrodiagnostic testing.",
            "The examination does not document a dermatomal sensory deficit."), "lumbar"),
    Family("head",
           ("CT scan of head", "Electroencephalogram", "MRI without contrast of the right hip",
            "X-rays of right hip", "MRI of the left hip"),
           (), (("chronic-pain", ("Office visits",)),),
           ("odg-head-ct", "odg-hip-mri", "odg-hip-xray"), (), (),
           ("Imaging is indicated when there is a suspicion of a significant structural lesion "
            "that would change management.",
            "The clinical findings do not suggest a fracture, dislocation or neoplasm.",
            "Plain films should be obtained before advanced imaging is considered."), "pain"),
)

_FAMILY_WEIGHTS = (9, 7, 5, 4, 3, 6, 10, 6, 5, 5, 4, 6, 6, 7, 3, 4, 3, 2, 3, 2)

HOW_2016 = (
    "MAXIMUS Federal Services sent the complete case file to an expert reviewer. He/she has no "
    "affiliation with the employer, employee, providers or the claims administrator.{prose} "
    "He/she has been in active clinical practice for more than five years and is currently "
    "working at least 24 hours a week in active practice. The expert reviewer was selected based "
    "on his/her clinical experience, education, background, and expertise in the same or similar "
    "specialties that evaluate and/or treat the medical condition and disputed items/{service}. "
    "He/she is familiar with governing laws and regulations, including the strength of evidence "
    "hierarchy that applies to Independent Medical Review determinations."
)

TABLE_SPECIALTIES = (
    ("Preventive Medicine", "Occupational Medicine"), ("Family Practice",),
    ("Physical Medicine & Rehabilitation",), ("Physical Medicine & Rehabilitation",
                                              "Pain Management"),
    ("Preventive Medicine", "Occupational Medicine", "Family Practice"),
    ("Orthopedic Surgery",), ("Orthopedic Surgery", "Sports Medicine"), ("Internal Medicine",),
    ("Anesthesiology", "Pain Management"), ("Psychiatry",), ("Neurology", "Pain Management"),
    ("Chiropractor",), ("Internal Medicine", "Allergy and Immunology", "Rheumatology"),
    ("Anesthesiology", "Pain Management", "Hospice & Palliative Medicine"),
)
PROSE_SPECIALTIES = (
    ("Family Medicine", None), ("Anesthesiology", "Pain Management"),
    ("Internal Medicine", None), ("Orthopedic Surgery", "Sports Medicine"),
    ("Physical Medicine and Rehabilitation", "Pain Medicine"), ("Psychiatry", None),
    ("Preventive Medicine", "Occupational Medicine"), ("Neurology", None),
)
STATES = ("California", "Texas", "New York", "Florida", "Arizona", "Washington", "Ohio",
          "North Carolina", "South Carolina", "Virginia", "New Jersey", "Pennsylvania",
          "Maryland", "Illinois", "Colorado", "Tennessee", "Georgia", "Utah", "Oregon", "Nevada")

MECHANISMS = (
    "lifting a heavy box", "a slip and fall on a wet floor", "repetitive keyboard work",
    "pulling a pallet jack", "a motor vehicle accident while driving for work",
    "cumulative trauma from repetitive lifting", "being struck by a falling object",
    "stepping off a ladder",
)
COMPLAINTS = (
    "The injured worker reported ongoing pain rated 6 out of 10 on a 10-point scale.",
    "Current complaints included constant pain with stiffness, aggravated by prolonged "
    "standing and walking.",
    "{She} reported that pain limited {her} activities of daily living.",
    "{She} reported intermittent numbness and tingling and difficulty sleeping due to pain.",
    "The pain was rated 7 out of 10 without medications and 4 out of 10 with medications.",
)
EXAMS = (
    "Objective findings included tenderness to palpation of the paraspinal muscles with "
    "limited range of motion.",
    "Physical examination revealed decreased sensation and a positive straight leg raise test.",
    "Examination showed guarding, muscle spasm and a mildly antalgic gait.",
    "Motor strength was 4+ out of 5 and reflexes were symmetric.",
    "There was tenderness over the joint line and pain with range of motion.",
)
TREATMENTS = (
    "physical therapy", "chiropractic care", "acupuncture", "home exercise program",
    "oral medications", "topical creams", "diagnostic imaging", "modified work duties",
    "injections", "activity modification",
)
CASE_SENTENCES = (
    "In this case, the medical records do not document objective functional improvement from "
    "prior treatment.",
    "The most recent progress report does not describe a change in symptoms or examination "
    "findings.",
    "There is no documentation of the duration of use or the response to this treatment.",
    "The treating provider did not document a specific treatment goal.",
    "The documentation submitted for review does not establish that the criteria are met.",
    "The records indicate that prior conservative care has been completed without lasting "
    "benefit.",
)
OVERTURN_SENTENCES = (
    "In this case, the records document objective findings that meet the guideline criteria.",
    "The treating physician documented functional improvement with prior treatment and a "
    "clear plan of care.",
    "The request is consistent with the guideline recommendations for this condition.",
)

# ----------------------------------------------------------------------------- text layout


class _Layout:
    """Lines as a PDF text extractor writes them, for one of the two corpus layouts."""

    def __init__(self, rng: random.Random, layout: str) -> None:
        self.rng = rng
        self.layout = layout
        self.lines: list[str] = []
        self.since_break = 0
        self.page_lines = rng.randint(44, 52)

    def _emit(self, line: str) -> None:
        self.lines.append(line)
        if self.layout == "2015":
            self.lines.append("")
            return
        self.since_break += 1
        if self.since_break >= self.page_lines:  # page break: pypdf joins pages with "\n"
            self.lines.append("")
            self.since_break = 0
            self.page_lines = self.rng.randint(44, 52)

    def blank(self) -> None:
        self._emit(" ")

    def line(self, text: str, trailing: str = " ") -> None:
        self._emit(text + trailing)

    def para(self, text: str, *, width: tuple[int, int] = (84, 97)) -> None:
        """Wrap words greedily at a jittered width, like text extracted from a PDF page."""
        words = text.split()
        current: list[str] = []
        size = 0
        limit = self.rng.randint(*width)
        for word in words:
            extra = len(word) + (1 if current else 0)
            hyphen = word.find("-", 1, len(word) - 1)
            if (current and size + extra > limit and hyphen > 0 and word[hyphen - 1].isalpha()
                    and word[hyphen + 1].isalpha() and self.rng.random() < 0.5):
                # a word broken at its hyphen at the line end ("Non- / MTUS"), as in the PDFs
                self.line(" ".join([*current, word[: hyphen + 1]]))
                word = word[hyphen + 1:]
                current, size = [word], len(word)
                limit = self.rng.randint(*width)
                continue
            if current and size + extra > limit:
                self.line(" ".join(current))
                current, size = [word], len(word)
                limit = self.rng.randint(*width)
            else:
                current.append(word)
                size += extra
        if current:
            self.line(" ".join(current))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _collapse(text: str) -> str:
    return " ".join(text.split())


# ----------------------------------------------------------------------------- generation


def _us_date(d: date, rng: random.Random, style: str | None = None) -> str:
    style = style or rng.choice(("mm/dd/yyyy", "mm-dd-yy", "m-d-yyyy", "m/d/yy"))
    if style == "mm/dd/yyyy":
        return f"{d.month:02d}/{d.day:02d}/{d.year}"
    if style == "mm-dd-yy":
        return f"{d.month:02d}-{d.day:02d}-{d.year % 100:02d}"
    if style == "m-d-yyyy":
        return f"{d.month}-{d.day}-{d.year}"
    return f"{d.month}/{d.day}/{d.year % 100:02d}"


def _pages(rng: random.Random, span: tuple[int, int]) -> tuple[str, tuple[str, ...]]:
    """A page list as letters write it ("48-9; 90", "287-315") and its normalised ranges."""
    lo, hi = span
    count = 1 if hi - lo < 4 else rng.choice((1, 1, 1, 2))
    starts = sorted(rng.sample(range(lo, hi + 1), count))
    written: list[str] = []
    truth: list[str] = []
    for k, a in enumerate(starts):
        nxt = starts[k + 1] - 1 if k + 1 < len(starts) else hi
        b = rng.randint(a, min(nxt, a + 12)) if rng.random() < 0.7 else a
        if b == a:
            written.append(str(a))
            truth.append(str(a))
            continue
        sb = str(b)
        if len(sb) == len(str(a)) and rng.random() < 0.3:
            common = 0
            while common < len(sb) - 1 and sb[common] == str(a)[common]:
                common += 1
            sb = sb[common:]  # "308-9": the end page keeps the start's leading digits
        written.append(f"{a}-{sb}")
        truth.append(f"{a}-{b}")
    sep = rng.choice((", ", "; ", " and ")) if len(written) > 1 else ""
    return sep.join(written), tuple(truth)


def _mtus_2016(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]]:
    """ "MTUS <Work> <year>[, Section(s): ...][, and <Work> <year> ...]" and its citations."""
    n_heads = 1 if len(family.mtus) == 1 or rng.random() < 0.8 else 2
    parts: list[str] = []
    cites: list[CitationTruth] = []
    for key, pool in rng.sample(family.mtus, n_heads):
        title, year, slug, sections = MTUS_HEADS[key]
        guidelines = " Guidelines" if key == "chronic-pain" and rng.random() < 0.2 else ""
        head = f"{title} {year}{guidelines}"
        if pool and rng.random() < 0.8:
            chosen = rng.sample(pool, rng.choice((1, 1, 1, 2)) if len(pool) > 1 else 1)
            parts.append(f"{head}, Section(s): {', '.join(chosen)}")
            cites += [CitationTruth(f"{GL}{slug}/{sections[s]}") for s in chosen]
        else:
            parts.append(head)
            cites.append(CitationTruth(GL + slug))
    return "Decision based on MTUS " + ", and ".join(parts) + ".", cites


def _mtus_2015(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]] | None:
    """ "MTUS ACOEM Chapter 12 ... Page(s): 287-315, Chronic Pain Treatment Guidelines ..." """
    parts: list[str] = []
    cites: list[CitationTruth] = []
    if family.mtus_2015 and (not family.chronic_2015 or rng.random() < 0.6):
        words, slug, span = MTUS_2015[rng.choice(family.mtus_2015)]
        written, truth = _pages(rng, span)
        parts.append(f"{words} Page(s): {written}")
        cites.append(CitationTruth(GL + slug, truth))
    if family.chronic_2015 and (not parts or rng.random() < 0.4):
        keys = rng.sample(family.chronic_2015, 2 if len(family.chronic_2015) > 1
                          and rng.random() < 0.3 else 1)
        topics = []
        for key in keys:
            words, slug, span = CHRONIC_PAIN_2015[key]
            written, truth = _pages(rng, span)
            topics.append(f"{words} Page(s): {written}")
            cites.append(CitationTruth(GL + slug, truth))
        parts.append("Chronic Pain Treatment Guidelines " + ", ".join(topics))
    if not parts:
        return None
    return "Decision based on MTUS " + ", ".join(parts) + ".", cites


def _non_mtus(rng: random.Random, family: Family) -> tuple[str, list[CitationTruth]]:
    words, slugs, span = NON_MTUS[rng.choice(family.non_mtus)]
    pages: tuple[str, ...] = ()
    if span is not None:
        written, pages = _pages(rng, span)
        words = words.format(pages=written)
    cites = [CitationTruth(GL + s, pages) for s in slugs]
    return f"Decision based on Non-MTUS Citation {words}.", cites


def _statement(
    rng: random.Random, family: Family, party: str, layout: str
) -> tuple[str, StatementTruth]:
    who = "Claims Administrator" if party == "claims-administrator" else "Expert Reviewer"
    no_evidence_rate = 0.17 if party == "claims-administrator" else 0.04
    if rng.random() < no_evidence_rate:
        return (f"The {who} did not cite any medical evidence for its decision.",
                StatementTruth(party, True, False, ()))
    roll = rng.random()
    if roll < 0.2 and family.non_mtus:
        if layout == "2015":
            lead = f"The {who} did not base their decision on the MTUS."
        else:
            lead = (f"The {who} based their decision on recommendation(s) outside of the MTUS "
                    "Guidelines.")
        text, cites = _non_mtus(rng, family)
        return f"{lead} {text}", StatementTruth(party, False, True, tuple(cites))
    sentences: list[str] = []
    cites: list[CitationTruth] = []
    mtus = _mtus_2015(rng, family) if layout == "2015" else None
    if mtus is None:
        mtus = _mtus_2016(rng, family)
    sentences.append(mtus[0])
    cites += mtus[1]
    if family.non_mtus and roll > 0.6:
        text, more = _non_mtus(rng, family)
        sentences.append(text)
        cites += more
    return " ".join(sentences), StatementTruth(party, False, False, tuple(cites))


def _rationale(rng: random.Random, family: Family, label: str, outcome: str) -> str:
    reasons = rng.sample(family.reasons, rng.randint(1, len(family.reasons)))
    case = rng.sample(OVERTURN_SENTENCES if outcome == "Overturned" else CASE_SENTENCES,
                      rng.randint(1, 2))
    lower = not label[:2].isupper() and rng.random() < 0.5
    subject = label[0].lower() + label[1:] if lower else label
    if outcome == "Overturned":
        end = f"Therefore, the request for {subject} is medically necessary."
    else:
        end = rng.choice((f"Therefore, the request for {subject} is not medically necessary.",
                          f"As such, the request for {subject} is not medically necessary and "
                          "appropriate."))
    return " ".join([*reasons, *case, end])


def _item(
    rng: random.Random, family: Family, used: set[str], layout: str
) -> tuple[str, ItemTruth, tuple[str, str]]:
    """Heading text (without outcome), the item's truth, and both parties' statements."""
    outcome = "Overturned" if rng.random() < 0.12 else "Upheld"
    original = authorised = None
    if family.partial and rng.random() < 0.35:
        template, a, b = rng.choice(family.partial)
        original = template.format(a=a)
        if rng.random() < 0.75:  # "... was authorized by the Claims Administrator."
            authorised = template.format(a=b)
            label = template.format(a=a - b)
            suffix = rng.choice((" is", " is", ""))
            heading = (f"{original} was the original request. {authorised} was authorized by "
                       "the Claims Administrator. The remaining IMR eligible portion of the "
                       f"original request, {label}{suffix}")
        else:  # "The Claims Administrator authorized ..., leaving the original request ..."
            authorised = template.format(a=b)
            label = original[0].lower() + original[1:] if rng.random() < 0.3 else original
            heading = (f"{original} was the original request. The Claims Administrator "
                       f"authorized {authorised}, leaving the original request IMR eligible. "
                       f"The original request, {label} is")
    else:
        choices = [x for x in family.labels if x not in used] or list(family.labels)
        label = rng.choice(choices)
        heading = label
    used.add(label)
    statements = []
    texts = []
    for party in ("claims-administrator", "expert-reviewer"):
        text, truth = _statement(rng, family, party, layout)
        statements.append(truth)
        texts.append(text)
    rationale = _rationale(rng, family, label, outcome)
    item = ItemTruth(label=_collapse(label), outcome=outcome,
                     original_request=_collapse(original) if original else None,
                     authorized_portion=_collapse(authorised) if authorised else None,
                     statements=tuple(statements), rationale=_collapse(rationale))
    return heading, item, (texts[0], texts[1])


@cache
def _offset(seed: int) -> int:
    return random.Random(f"imrgraph-synth-offset:{seed}").randrange(5_000_000)


def _case_number(seed: int, index: int, year: int) -> str:
    """CMyy-nnnnnnn, unique per index below 5,000,000 (an affine bijection mod 5,000,000)."""
    number = 5_000_000 + (index * 7_368_787 + _offset(seed)) % 5_000_000
    return f"CM{year % 100:02d}-{number:07d}"


def generate_letter(seed: int, index: int) -> tuple[str, str, LetterTruth]:
    """Letter number ``index`` of the corpus ``seed``: (file name, text, truth)."""
    rng = random.Random(f"imrgraph-synth:{seed}:{index}")
    layout = "2015" if rng.random() < 0.12 else "2016"
    year = rng.choice((2014, 2015)) if layout == "2015" else rng.choice((2016, 2016, 2017, 2018))
    assigned = date(year, 1, 1) + timedelta(days=rng.randrange(365))
    received = assigned - timedelta(days=rng.randint(1, 12))
    ur_denial = received - timedelta(days=rng.randint(0, 40))
    decision = assigned + timedelta(days=rng.randint(14, 60))
    injury = ur_denial - timedelta(days=rng.randint(20, 365 * 15))
    priority = "Expedited" if rng.random() < 0.03 else "Standard"
    case_number = _case_number(seed, index, assigned.year)
    age = rng.randint(19, 74)
    sex = rng.choice(("female", "male"))

    out = _Layout(rng, layout)
    # ---- header table, split over lines as pypdf extracts it
    if layout == "2015":
        out.lines += ["", " ", "", " "]
    else:
        out.blank()
    sp = "  " if layout == "2016" else " "
    out.line(f"Case Number: {case_number}", "  " if layout == "2016" else "   ")
    out.line(f"Date Assigned: {_us_date(assigned, rng, 'mm/dd/yyyy')} Date of Injury:{sp}"
             f"{_us_date(injury, rng, 'mm/dd/yyyy')}")
    out.line(f"Decision Date: {_us_date(decision, rng, 'mm/dd/yyyy')} UR Denial Date:{sp}"
             f"{_us_date(ur_denial, rng, 'mm/dd/yyyy')}")
    out.line(f"Priority:{sp}{priority} Application")
    out.line("Received:", sp)
    out.line(_us_date(received, rng, "mm/dd/yyyy"))
    out.blank()
    out.line("HOW THE IMR FINAL DETERMINATION WAS MADE")

    # ---- credentials: a table (2016-17) or prose inside the paragraph (2015)
    prose_rate = 0.7 if layout == "2015" else 0.05
    if rng.random() < prose_rate:
        form = "prose"
        spec, sub = rng.choice(PROSE_SPECIALTIES)
        states = tuple(rng.sample(STATES[:8], rng.choice((1, 1, 2))))
        sub_text = f" has a subspecialty in {sub}" if sub else ""
        prose = (f" The expert reviewer is Board Certified in {spec}{sub_text} and is licensed "
                 f"to practice in {' and '.join(states)}.")
        specialties = (spec, sub) if sub else (spec,)
        service = "services"
    else:
        form = "table"
        specialties = rng.choice(TABLE_SPECIALTIES)
        states = tuple(rng.sample(STATES, rng.choice((1, 1, 1, 2, 2, 3))))
        prose = ""
        service = "Service" if layout == "2016" else "services"
    out.para(HOW_2016.format(prose=prose, service=service))
    out.blank()
    if form == "table":
        out.line("The Expert Reviewer has the following credentials:")
        sep = rng.choice((",", ", "))
        out.line(f"State(s) of Licensure: {sep.join(states)}")
        out.line(f"Certification(s)/Specialty: {', '.join(specialties)}")
        out.blank()

    # ---- items first (the summary mentions them)
    n_items = rng.choices(
        (1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 15, 21),
        weights=(52, 16, 5, 4, 5, 6, 3, 3, 2, 2, 1, 1),
    )[0]
    primary = rng.choices(FAMILIES, weights=_FAMILY_WEIGHTS, k=rng.choice((1, 2, 3)))
    used: set[str] = set()
    items: list[tuple[str, ItemTruth, tuple[str, str]]] = []
    for _ in range(n_items):
        family = rng.choice(primary) if rng.random() < 0.8 else rng.choices(
            FAMILIES, weights=_FAMILY_WEIGHTS)[0]
        heading, item, texts = _item(rng, family, used, layout)
        items.append((heading, item, texts))
    region = primary[0].region

    # ---- clinical case summary
    out.line("CLINICAL CASE SUMMARY")
    out.para("The expert reviewer developed the following clinical case summary based on a "
             "review of the case file, including all medical records:")
    out.blank()
    sex_word = sex if rng.random() < 0.8 else ("woman" if sex == "female" else "man")
    age_text = rng.choice((f"{age} year old", f"{age}-year-old"))
    doi = _us_date(injury, rng)
    intro = rng.choice((
        f"The injured worker is a {age_text} {sex_word} who sustained an industrial injury on "
        f"{doi}.",
        f"The injured worker is a {age_text} {sex_word}, who sustained an industrial injury on "
        f"{doi}, as a result of {rng.choice(MECHANISMS)}.",
        f"This is a {age_text} {sex_word} with a date of injury of {doi}.",
        f"The patient is a {age_text} {sex_word} who reported an industrial injury on {doi} "
        f"due to {rng.choice(MECHANISMS)}.",
    ))
    dx = rng.sample(_REGION_DX[region], rng.randint(1, 3))
    tx = rng.sample(TREATMENTS, rng.randint(2, 4))
    requested = ", ".join(item.label for _, item, _ in items[:4])
    summary = [
        intro,
        f"The injured worker was being treated for the diagnoses of {', '.join(dx)}.",
        *(c.format(She="She" if sex == "female" else "He",
                   her="her" if sex == "female" else "his")
          for c in rng.sample(COMPLAINTS, rng.randint(1, 2))),
        *rng.sample(EXAMS, rng.randint(1, 2)),
        f"Treatment to date has included {', '.join(tx[:-1])} and {tx[-1]}.",
        f"On {_us_date(ur_denial, rng)}, Utilization Review non-certified the request for "
        f"{requested}.",
    ]
    out.para(" ".join(summary))
    out.blank()

    # ---- items
    out.line("IMR ISSUES, DECISIONS AND RATIONALES")
    if layout == "2016" and rng.random() < 0.3:
        out.lines.append("")
    out.para("The Final Determination was based on decisions for the disputed items/services "
             "set forth below:", width=(100, 100))
    out.blank()
    for heading, item, texts in items:
        colon_space = rng.choice((" ", " ", "  "))
        if rng.random() < 0.12:  # the outcome wrapped onto its own line
            out.para(f"{heading}:")
            out.line(item.outcome)
        else:
            out.para(f"{heading}:{colon_space}{item.outcome}")
        out.blank()
        if layout == "2016" and rng.random() < 0.3:
            out.lines.append("")
        ca, mx = texts
        out.para(f"Claims Administrator guideline: {ca}")
        out.blank()
        out.para(f"MAXIMUS guideline: {mx}")
        out.blank()
        out.para(f"Decision rationale: {item.rationale}")
        out.blank()

    name = f"{case_number}.txt"
    truth = LetterTruth(
        name=name, layout=layout, case_number=case_number, date_assigned=assigned,
        date_of_injury=injury, decision_date=decision, ur_denial_date=ur_denial,
        application_received=received, priority=priority, age=age, sex=sex,
        credential_form=form, specialties=tuple(specialties), licensure_states=states,
        items=tuple(item for _, item, _ in items),
    )
    return name, out.text(), truth


def generate_with_truth(n: int, seed: int, start: int = 0
                        ) -> Iterator[tuple[str, str, LetterTruth]]:
    """Letters ``start`` .. ``start + n - 1`` of corpus ``seed`` with their ground truth."""
    if n < 0 or start < 0 or start + n > 5_000_000:
        raise ValueError("n and start must be >= 0 and start + n <= 5,000,000")
    for index in range(start, start + n):
        yield generate_letter(seed, index)


def generate(n: int, seed: int) -> Iterator[tuple[str, str]]:
    """N synthetic letters as (file name, text); the same seed gives the same bytes."""
    for name, text, _ in generate_with_truth(n, seed):
        yield name, text


def write_corpus(folder: str | Path, n: int, seed: int, start: int = 0) -> list[Path]:
    """Write letters as UTF-8 ``.txt`` files into ``folder``; returns their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text, _ in generate_with_truth(n, seed, start):
        path = folder / name
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def truth_jsonable(truth: LetterTruth) -> dict[str, object]:
    """A letter's ground truth as JSON-ready data (dates as ISO strings)."""
    def plain(value: object) -> object:
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return value

    return plain(asdict(truth))  # type: ignore[return-value]


def summary_counts(truths: Sequence[LetterTruth]) -> dict[str, int]:
    """Counts to describe a generated corpus (letters, items, citations, partial items)."""
    items = [i for t in truths for i in t.items]
    return {
        "letters": len(truths),
        "items": len(items),
        "citations": sum(len(s.citations) for i in items for s in i.statements),
        "partial": sum(1 for i in items if i.original_request),
        "overturned": sum(1 for i in items if i.outcome == "Overturned"),
        "layout_2015": sum(1 for t in truths if t.layout == "2015"),
        "prose_credentials": sum(1 for t in truths if t.credential_form == "prose"),
    }

