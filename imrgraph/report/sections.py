"""The report's sections, each computed from the rows of named queries.

Every table names the queries (and parameters) it came from; the only arithmetic done here is
what SPARQL cannot do portably or what turns counts into statements: rates with their Wilson
intervals, medians and 90th percentiles of waiting times, and bands of ages.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from functools import cache
from importlib import resources
from typing import Any

from imrgraph.report.model import Chart, Column, QueryRef, Report, Runner, Section, Table, ref
from imrgraph.report.stats import Proportion, median, percentile

PARTIES = {"claims-administrator": "Claims administrator", "expert-reviewer": "Expert reviewer"}
OUTCOME_COLUMNS = [Column("items", "Items", "int"), Column("upheld", "Upheld", "int"),
                   Column("overturned", "Overturned", "int"),
                   Column("overturn_rate", "Overturn rate", "rate")]
NOT_STATED = "(not stated)"
#: How "uncited" names a party's reason, as a reader would say it.
REASONS = {"cited-no-evidence": "said it cited no medical evidence",
           "no-guideline-recognised": "statement cites no recognised guideline",
           "no-statement": "letter gives no statement for the party"}
#: The drug class whose share of pharmaceutical items the report gives (local name in tx:).
FOCUS_DRUG_CLASS = "opioid"
#: Guidelines drawn in the by-party chart (the table lists all).
CHART_GUIDELINES = 15


@cache
def bands() -> dict[str, list[tuple[str, int, int | None]]]:
    """The age and size bands (report/bands.json)."""
    data = json.loads(resources.files("imrgraph.report").joinpath("bands.json")
                      .read_text(encoding="utf-8"))
    return {k: [(b[0], b[1], b[2]) for b in v] for k, v in data.items() if not k.startswith("_")}


def band_of(value: float | None, kind: str) -> str:
    if value is None:
        return NOT_STATED
    for label, low, high in bands()[kind]:
        if value >= low and (high is None or value < high):
            return label
    return NOT_STATED


def rows_of(run: Runner, query: QueryRef) -> list[dict[str, Any]]:
    result = run(query.name, dict(query.params))
    return [dict(zip(result.columns, row, strict=True)) for row in result.rows]


def with_rate(row: dict[str, Any]) -> dict[str, Any]:
    """A query row with its overturn_rate as k of n (the query's rounded rate is dropped)."""
    out = dict(row)
    out["overturn_rate"] = Proportion(int(row["overturned"]), int(row["items"]))
    return out


def small_last(rows: list[dict[str, Any]], key: str = "overturn_rate") -> list[dict[str, Any]]:
    """The same order, but rows whose rate rests on fewer than 10 items after all others: a
    small cell is never ranked first."""
    return sorted(rows, key=lambda r: isinstance(r.get(key), Proportion) and r[key].small)


def rate_chart(title: str, rows: list[dict[str, Any]], label: str | Callable[[dict], str],
               key: str = "overturn_rate") -> Chart:
    get = label if callable(label) else (lambda r: str(r[label]))
    return Chart("rates", {"title": title, "labels": [get(r) for r in rows],
                           "series": [("overturn rate", [r[key] for r in rows])]})


def _outcome_table(key: str, title: str, first: list[Column], rows: list[dict[str, Any]],
                   query: QueryRef, chart_title: str | None = None, note: str = "",
                   label: str | Callable[[dict], str] | None = None) -> Table:
    rows = small_last([with_rate(r) for r in rows])
    chart = (rate_chart(chart_title, rows, label or first[0].key) if chart_title and rows
             else None)
    return Table(key, title, first + OUTCOME_COLUMNS, rows, [query], note, chart)


def _count(rows: Iterable[dict[str, Any]], by: Callable[[dict[str, Any]], str],
           order: list[str] | None = None) -> list[dict[str, Any]]:
    """Items and outcomes per group of per-item rows (each row one item, with 'outcome')."""
    items: Counter[str] = Counter()
    over: Counter[str] = Counter()
    for r in rows:
        g = by(r)
        items[g] += 1
        over[g] += r["outcome"] == "Overturned"
    keys = [k for k in (order or []) if k in items] + sorted(k for k in items if k not in
                                                             (order or []))
    return [{"group": k, "items": items[k], "upheld": items[k] - over[k],
             "overturned": over[k]} for k in keys]


# ------------------------------------------------------------------ sections


def overview(run: Runner) -> tuple[dict[str, Any], Table]:
    q = ref("outcome-summary")
    rows = rows_of(run, q)
    row = rows[0] if rows else {"letters": 0, "items": 0, "upheld": 0, "overturned": 0}
    rate = Proportion(int(row["overturned"]), int(row["items"]))
    per_letter = row["items"] / row["letters"] if row["letters"] else None
    overall = {"letters": row["letters"], "items": row["items"], "upheld": row["upheld"],
               "overturned": row["overturned"], **_flat("overturn_rate", rate),
               "items_per_letter": None if per_letter is None else round(per_letter, 2)}
    table = Table("overall", "All letters and items",
                  [Column("letters", "Letters", "int"), Column("items", "Items", "int"),
                   Column("items_per_letter", "Items per letter", "number")] + OUTCOME_COLUMNS[1:],
                  [{**row, "items_per_letter": overall["items_per_letter"],
                    "overturn_rate": rate}], [q])
    return overall, table


def _flat(name: str, p: Proportion) -> dict[str, Any]:
    j = p.as_json()
    return {name: j["rate"], f"{name}_ci_low": j["ci_low"], f"{name}_ci_high": j["ci_high"]}


def volume(run: Runner) -> Section:
    q = ref("outcomes-by-period", period="month")
    months = [with_rate(r) for r in rows_of(run, q)]
    for r in months:
        r["items_per_letter"] = round(r["items"] / r["letters"], 2) if r["letters"] else None
    by_month = Table(
        "volume-by-month", "Letters and items by decision month",
        [Column("period", "Decision month"), Column("letters", "Letters", "int"),
         Column("items", "Items", "int"), Column("items_per_letter", "Items per letter",
                                                 "number")] + OUTCOME_COLUMNS[1:],
        months, [q], "Month of the letter's Decision Date.",
        Chart("stacked", {"title": "Items decided per month, by outcome",
                          "labels": [r["period"] for r in months],
                          "series": [("Upheld", [r["upheld"] for r in months]),
                                     ("Overturned", [r["overturned"] for r in months])]}))
    dq = ref("decisions")
    per_letter = Counter(r["document"] for r in rows_of(run, dq))
    letters = len(per_letter)
    grouped: dict[str, list[int]] = defaultdict(list)
    for n in per_letter.values():
        grouped[band_of(n, "items_per_letter")].append(n)
    size_rows = [{"band": label, "letters": len(grouped[label]),
                  "share": Proportion(len(grouped[label]), letters),
                  "items": sum(grouped[label])}
                 for label, _, _ in bands()["items_per_letter"] if grouped[label]]
    sizes = Table("items-per-letter", "How many items a letter decides",
                  [Column("band", "Items in the letter"), Column("letters", "Letters", "int"),
                   Column("share", "Share of letters", "share"), Column("items", "Items", "int")],
                  size_rows, [dq],
                  f"Items per letter: median {median(list(per_letter.values())) or 0:g}, "
                  f"most {max(per_letter.values(), default=0)}.")
    return Section("volume", "Volume",
                   "How many IMR final determination letters and disputed items the graph holds, "
                   "by the month the letters were decided.", [by_month, sizes])


def outcomes(run: Runner, total_items: int) -> tuple[Section, dict[str, Any]]:
    q = ref("treatment-outcomes", level="top")
    cats = _outcome_table("outcomes-by-category", "Outcomes by treatment category",
                          [Column("treatment", "Treatment category")], rows_of(run, q), q,
                          "Overturn rate by treatment category")
    for r in cats.rows:
        r["share"] = Proportion(r["items"], total_items)
    cats.columns.insert(2, Column("share", "Share of items", "share"))
    sq = ref("treatment-subcategory-outcomes")
    subs = _outcome_table("outcomes-by-subcategory", "Outcomes by treatment subcategory",
                          [Column("category", "Category"), Column("subcategory", "Subcategory")],
                          rows_of(run, sq), sq,
                          note="Subcategory: the most specific concept the item was classified "
                               "as (for medications the drug class).")
    pharma, pharma_json = pharmaceuticals(run)
    spq = ref("specialty-outcomes")
    specialty = _outcome_table("outcomes-by-specialty", "Outcomes by expert reviewer specialty",
                               [Column("specialty", "Reviewer specialty"),
                                Column("letters", "Letters", "int")], rows_of(run, spq), spq,
                               "Overturn rate by reviewer specialty",
                               "A reviewer with several board certifications counts under each.")
    rq = ref("region-outcomes", level="top")
    regions_top = _outcome_table("outcomes-by-body-region", "Outcomes by body region",
                                 [Column("region", "Body region")], rows_of(run, rq), rq,
                                 "Overturn rate by body region",
                                 "Body region named in the item label; an item naming several "
                                 "counts under each.")
    rdq = ref("region-outcomes", level="region")
    regions = _outcome_table("outcomes-by-body-part", "Outcomes by body part",
                             [Column("region", "Body part")], rows_of(run, rdq), rdq)
    partial = partial_authorisations(run, total_items)
    section = Section("outcomes", "Outcomes",
                      "How the disputed items ended (Upheld: the denial stands; Overturned: the "
                      "treatment must be authorised), by kind of treatment, drug, reviewer "
                      "specialty and body region.",
                      [cats, subs, *pharma, specialty, regions_top, regions, *partial])
    return section, pharma_json


def pharmaceuticals(run: Runner) -> tuple[list[Table], dict[str, Any]]:
    q = ref("pharmaceutical-share", drug_class=FOCUS_DRUG_CLASS)
    rows = rows_of(run, q)
    r = rows[0] if rows else dict.fromkeys(
        ("items", "pharmaceutical_items", "pharmaceutical_overturned", "class_items",
         "class_overturned"), 0)
    pharma_share = Proportion(r["pharmaceutical_items"], r["items"])
    class_share = Proportion(r["class_items"], r["pharmaceutical_items"])
    pharma_rate = Proportion(r["pharmaceutical_overturned"], r["pharmaceutical_items"])
    class_rate = Proportion(r["class_overturned"], r["class_items"])
    focus = FOCUS_DRUG_CLASS.replace("-", " ")
    share_rows = [
        {"group": "Pharmaceuticals", "base": "all items", "items": r["pharmaceutical_items"],
         "share": pharma_share, "overturned": r["pharmaceutical_overturned"],
         "overturn_rate": pharma_rate},
        {"group": f"{focus.capitalize()}s", "base": "pharmaceutical items",
         "items": r["class_items"], "share": class_share, "overturned": r["class_overturned"],
         "overturn_rate": class_rate},
    ]
    share = Table("pharmaceutical-share", "Pharmaceuticals' share and opioids' share",
                  [Column("group", "Items"), Column("items", "Items", "int"),
                   Column("base", "Share of"), Column("share", "Share", "share"),
                   Column("overturned", "Overturned", "int"),
                   Column("overturn_rate", "Overturn rate", "rate")], share_rows, [q],
                  "Pharmaceutical: the treatment category rolls up to Medication. Opioids "
                  "include every drug class narrower than Opioid.")
    cq = ref("drug-outcomes", level="class")
    classes = _outcome_table("outcomes-by-drug-class", "Pharmaceuticals by drug class",
                             [Column("drug_class", "Drug class")], rows_of(run, cq), cq,
                             "Overturn rate by drug class")
    for row in classes.rows:
        row["share"] = Proportion(row["items"], r["pharmaceutical_items"])
    classes.columns.insert(1, Column("share", "Share of pharmaceutical items", "share"))
    dq = ref("drug-outcomes", level="drug")
    drugs = _outcome_table("outcomes-by-drug", "Pharmaceuticals by drug",
                           [Column("drug_class", "Drug class"), Column("drug", "Drug")],
                           rows_of(run, dq), dq,
                           note="A compound naming several drugs counts under each.")
    summary = {"items": r["items"], "pharmaceutical_items": r["pharmaceutical_items"],
               **_flat("pharmaceutical_share", pharma_share),
               "pharmaceutical_overturned": r["pharmaceutical_overturned"],
               **_flat("pharmaceutical_overturn_rate", pharma_rate),
               "drug_class": FOCUS_DRUG_CLASS, "class_items": r["class_items"],
               **_flat("class_share_of_pharmaceuticals", class_share),
               "class_overturned": r["class_overturned"],
               **_flat("class_overturn_rate", class_rate)}
    return [share, classes, drugs], summary


def partial_authorisations(run: Runner, total_items: int) -> list[Table]:
    q = ref("partial-authorisations")
    listed = rows_of(run, q)
    over = sum(r["outcome"] == "Overturned" for r in listed)
    summary = Table(
        "partial-authorisations", "Partial authorisations",
        [Column("items", "Items authorised in part", "int"),
         Column("share", "Share of all items", "share"),
         Column("overturned", "Remainder overturned", "int"),
         Column("overturn_rate", "Overturn rate", "rate")],
        [{"items": len(listed), "share": Proportion(len(listed), total_items),
          "overturned": over, "overturn_rate": Proportion(over, len(listed))}], [q],
        "The claims administrator authorised part of the request (modified it); IMR decided "
        "the disputed remainder.")
    detail = Table("partial-authorisation-items", "Items authorised in part",
                   [Column("document", "Letter"), Column("item", "Disputed remainder"),
                    Column("original_request", "Original request"),
                    Column("authorized_portion", "Authorised"), Column("outcome", "Outcome")],
                   listed, [q])
    return [summary, detail]


def time(run: Runner) -> tuple[Section, dict[str, Any]]:
    tables = []
    for period, title in (("quarter", "Outcomes by decision quarter"),
                          ("year", "Outcomes by decision year")):
        q = ref("outcomes-by-period", period=period)
        rows = [with_rate(r) for r in rows_of(run, q)]
        chart = rate_chart(f"Overturn rate by decision {period}", rows, "period")
        tables.append(Table(f"outcomes-by-{period}", title,
                            [Column("period", f"Decision {period}"),
                             Column("letters", "Letters", "int")] + OUTCOME_COLUMNS, rows, [q],
                            chart=chart if period == "quarter" else None))
    timely, summary = timeliness(run)
    tables.append(timely)
    cq = ref("claim-age")
    items = rows_of(run, cq)
    age_days = _count(items, lambda r: band_of(r["claim_age_days"], "claim_age_days"),
                      [b[0] for b in bands()["claim_age_days"]] + [NOT_STATED])
    worker_age = _count(items, lambda r: band_of(r["worker_age"], "worker_age_years"),
                        [b[0] for b in bands()["worker_age_years"]] + [NOT_STATED])
    sex = _count(items, lambda r: r["sex"] or NOT_STATED, ["female", "male", NOT_STATED])
    for key, title, header, rows, note in (
            ("claim-age", "Outcomes by claim age at decision", "Claim age",
             age_days, "Date of Injury to Decision Date."),
            ("worker-age", "Outcomes by the injured worker's age", "Worker age",
             worker_age, "Age as the case summary states it."),
            ("worker-sex", "Outcomes by the injured worker's sex", "Sex", sex, "")):
        rows = [with_rate(r) for r in rows]
        tables.append(Table(key, title, [Column("group", header)] + OUTCOME_COLUMNS, rows, [cq],
                            note, rate_chart(f"Overturn rate by {header.lower()}", rows,
                                             "group") if key != "worker-sex" else None))
    return Section("time", "Time",
                   "Outcomes by when the letter was decided, how long review took, and how old "
                   "the claim and the worker were.", tables), summary


def timeliness(run: Runner) -> tuple[Table, dict[str, Any]]:
    q = ref("timeliness")
    letters = rows_of(run, q)
    by_month: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in letters:
        if r["decision_date"]:
            by_month[r["decision_date"][:7]].append(r)

    def stats(group: list[dict[str, Any]]) -> dict[str, Any]:
        assigned = [r["days_assigned_to_decision"] for r in group
                    if r["days_assigned_to_decision"] is not None]
        received = [r["days_received_to_decision"] for r in group
                    if r["days_received_to_decision"] is not None]
        return {"letters": len(group), "letters_assigned": len(assigned),
                "median_days_assigned_to_decision": median(assigned),
                "p90_days_assigned_to_decision": percentile(assigned, 90),
                "letters_received": len(received),
                "median_days_received_to_decision": median(received),
                "p90_days_received_to_decision": percentile(received, 90)}

    rows = [{"period": m, **stats(by_month[m])} for m in sorted(by_month)]
    overall = stats([r for rs in by_month.values() for r in rs])
    rows.append({"period": "all months", **overall})
    columns = [Column("period", "Decision month"), Column("letters", "Letters", "int"),
               Column("median_days_assigned_to_decision", "Median days from assigned", "days"),
               Column("p90_days_assigned_to_decision", "90th percentile, from assigned", "days"),
               Column("median_days_received_to_decision", "Median days from application",
                      "days"),
               Column("p90_days_received_to_decision", "90th percentile, from application",
                      "days")]
    chart = Chart("dots", {
        "title": "Days to decision by decision month",
        "labels": [r["period"] for r in rows],
        "series": [("median from Date Assigned", [r["median_days_assigned_to_decision"]
                                                  for r in rows]),
                   ("90th pct from Date Assigned", [r["p90_days_assigned_to_decision"]
                                                    for r in rows]),
                   ("median from Application Received", [r["median_days_received_to_decision"]
                                                         for r in rows]),
                   ("90th pct from Application Received", [r["p90_days_received_to_decision"]
                                                           for r in rows])]})
    undated = len(letters) - sum(len(v) for v in by_month.values())
    note = ("Days from the Date Assigned (to the IMR organisation) and from the Application "
            "Received to the Decision Date; 90th percentile interpolated between ranks."
            + (f" {undated} letter(s) state no decision date and are left out." if undated
               else ""))
    return Table("timeliness", "Days to decision", columns, rows, [q], note, chart), overall


def guidelines(run: Runner, total_items: int) -> Section:
    q = ref("guideline-by-party", level="chapter")
    rows = rows_of(run, q)
    for row in rows:
        for short in ("ca", "er"):
            row[f"{short}_overturn_rate"] = Proportion(row[f"{short}_overturned"],
                                                       row[f"{short}_items"])
    # Ordered by citations; a guideline whose rates both rest on fewer than 10 items goes last.
    rows.sort(key=lambda r: r["ca_overturn_rate"].small and r["er_overturn_rate"].small)
    columns = [Column("guideline", "Guideline (chapter)")]
    for short, party in (("ca", "claims-administrator"), ("er", "expert-reviewer")):
        who = f"Cited by the {PARTIES[party].lower()}"
        columns += [Column(f"{short}_citations", "Citations", "int", who),
                    Column(f"{short}_items", "Items", "int", who),
                    Column(f"{short}_overturned", "Overturned", "int", who),
                    Column(f"{short}_overturn_rate", "Overturn rate", "rate", who)]
    drawn = rows[:CHART_GUIDELINES]
    chart = Chart("rates", {
        "title": f"Overturn rate of items citing each guideline, by who cited it "
                 f"({len(drawn)} most cited of {len(rows)})",
        "labels": [r["guideline"] for r in drawn],
        "series": [("claims administrator cited it", [r["ca_overturn_rate"] for r in drawn]),
                   ("expert reviewer cited it", [r["er_overturn_rate"] for r in drawn])]})
    by_guideline = Table(
        "guidelines-by-party", "Guideline citations and outcomes by citing party", columns,
        rows, [q],
        "Citations roll up to guideline chapters. Items: distinct items for which the party "
        "cited the guideline; the overturn rate is over those items. Ordered by citations.",
        chart)
    uq = ref("uncited")
    counts: Counter[tuple[str, str]] = Counter()
    over: Counter[tuple[str, str]] = Counter()
    for r in rows_of(run, uq):
        counts[r["party"], r["reason"]] += 1
        over[r["party"], r["reason"]] += r["outcome"] == "Overturned"
    no_evidence = [
        {"party": PARTIES[p], "reason": REASONS.get(reason, reason), "items": counts[p, reason],
         "share": Proportion(counts[p, reason], total_items),
         "overturned": over[p, reason],
         "overturn_rate": Proportion(over[p, reason], counts[p, reason])}
        for p in PARTIES for reason in REASONS if counts[p, reason]]
    uncited = Table("uncited", "Items where a party cited no medical evidence",
                    [Column("party", "Party"), Column("reason", "What the letter shows"),
                     Column("items", "Items", "int"), Column("share", "Share of all items",
                                                             "share"),
                     Column("overturned", "Overturned", "int"),
                     Column("overturn_rate", "Overturn rate", "rate")], no_evidence, [uq],
                    '"Did not cite any medical evidence" is the letter\'s own wording; the two '
                    "other rows are items where no guideline could be read from the party's "
                    "statement, or where the letter has none.")
    return Section("guidelines", "Guidelines",
                   "Which guidelines each party relied on, and how the items ended when the "
                   "claims administrator cited a guideline compared with when the expert "
                   "reviewer did.", [by_guideline, uncited])


def reasons(run: Runner, overall: dict[str, Any]) -> Section:
    """Why denials held or fell: each reason's share of the items on its side of the outcome
    (a reason of an upheld item is an upheld reason), then reasons by treatment category."""
    q = ref("reasons", level="top")
    items: dict[str, set[tuple[str, str]]] = defaultdict(set)
    side: dict[str, str] = {}
    for r in rows_of(run, q):
        items[r["reason"]].add((r["document"], r["item"]))
        side[r["reason"]] = r["outcome"]
    totals = {"Upheld": int(overall["upheld"]), "Overturned": int(overall["overturned"])}
    rows: list[dict[str, Any]] = [
        {"reason": reason, "side": side[reason], "items": len(found),
         "share": Proportion(len(found), totals[side[reason]])}
        for reason, found in items.items()]
    rows.sort(key=lambda r: (r["side"] != "Upheld", -r["items"], r["reason"]))
    by_reason = Table(
        "reason-shares", "Reasons the expert reviewers gave", [
            Column("reason", "Reason"), Column("side", "Outcome it supports"),
            Column("items", "Items", "int"),
            Column("share", "Share of the items with that outcome", "share")], rows, [q],
        "Reasons are read from each item's decision rationale (ontology/reasons.ttl); an item "
        "may state several, so shares add up to more than 100 %. An item whose rationale "
        "states none of the named reasons counts under other-upheld / other-overturned.",
        Chart("rates", {"title": "Share of items stating each reason, by outcome",
                        "labels": [f"{r['reason']} ({r['side'].lower()})" for r in rows],
                        "series": [("share of items", [r["share"] for r in rows])],
                        "axis_label": "share of the items with that outcome (bar) with 95 % "
                                      "interval (line)"},
              ) if rows else None)
    tq = ref("reason-outcomes")
    by_treatment = Table(
        "reason-treatments", "Reasons by treatment category",
        [Column("reason", "Reason"), Column("treatment", "Treatment category"),
         Column("items", "Items", "int"), Column("upheld", "Upheld", "int"),
         Column("overturned", "Overturned", "int")], rows_of(run, tq), [tq])
    return Section("reasons", "Reasons",
                   "Why the denials held or fell, as the reviewers' rationales state it.",
                   [by_reason, by_treatment])


def make_report(run: Runner, title: str = "IMR report", source: str = "") -> Report:
    """Every section of the report, computed with ``run`` (no files written)."""
    overall, overall_table = overview(run)
    total = int(overall["items"])
    outcome_section, pharma = outcomes(run, total)
    time_section, timely = time(run)
    summary = Section("summary", "Summary", "The headline numbers.", [overall_table])
    timeliness_json = {k: timely[k] for k in (
        "median_days_assigned_to_decision", "p90_days_assigned_to_decision",
        "median_days_received_to_decision", "p90_days_received_to_decision")}
    timeliness_json["letters_with_assigned_date"] = timely["letters_assigned"]
    timeliness_json["letters_with_application_date"] = timely["letters_received"]
    return Report(title, source, overall, timeliness_json, pharma,
                  [summary, volume(run), outcome_section, time_section,
                   guidelines(run, total), reasons(run, overall)])
